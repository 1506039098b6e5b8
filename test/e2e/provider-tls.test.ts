/**
 * The gateway as its own process, in cloud mode, on provider emulators that serve TLS with a
 * certificate it trusts only through `NODE_EXTRA_CA_CERTS`, as a deployment behind a private CA
 * would: a voice turn reaches Deepgram over `wss:`, Groq over `https:` and Cartesia over `wss:`
 * (`bench:capacity --provider-tls` relies on this).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDevCert } from '../../scripts/dev-cert.js';
import { resamplePcm16 } from '../../src/audio/resampler.js';
import { startOfflineProviders } from '../../src/emulators/offline.js';
import type { OfflineProviders } from '../../src/emulators/offline.js';
import { loadSpeech } from '../fixtures/speech/index.js';
import { TestClient } from '../helpers/ws-client.js';

const START_TIMEOUT_MS = 30_000;
const PROVIDER_KEYS = /^(DEEPGRAM|GROQ|CEREBRAS|ANTHROPIC|CARTESIA)_|^GATEWAY_|^NODE_EXTRA_CA_CERTS$/;

let providers: OfflineProviders;
let child: ChildProcess;
let port = 0;
const logs: string[] = [];

beforeAll(async () => {
  const pems = await makeDevCert();
  const dir = mkdtempSync(join(tmpdir(), 'gw-provider-tls-'));
  writeFileSync(join(dir, 'ca.pem'), pems.cert);
  providers = await startOfflineProviders({
    fast: true,
    tls: pems,
    sttScript: ['what is the weather like in paris today'],
  });
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !PROVIDER_KEYS.test(k)));
  child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...env,
      PORT: '0',
      LOG_LEVEL: 'info',
      GATEWAY_PROVIDERS: 'cloud',
      DEEPGRAM_API_KEY: 'k',
      DEEPGRAM_BASE_URL: providers.deepgram.baseUrl,
      GROQ_API_KEY: 'k',
      GROQ_BASE_URL: providers.groq.baseUrl,
      CEREBRAS_API_KEY: 'k',
      CEREBRAS_BASE_URL: providers.cerebras.baseUrl,
      ANTHROPIC_API_KEY: 'k',
      ANTHROPIC_BASE_URL: providers.anthropic.baseUrl,
      CARTESIA_API_KEY: 'k',
      CARTESIA_BASE_URL: providers.cartesia.baseUrl,
      CARTESIA_VOICE: '00000000-0000-4000-8000-000000000000',
      NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`gateway did not start:\n${logs.join('')}`)),
      START_TIMEOUT_MS,
    );
    child.stderr!.on('data', (d: Buffer) => {
      logs.push(d.toString());
      const m = /"url":"ws:\/\/127\.0\.0\.1:(\d+)[^\n]*"msg":"gateway listening"/.exec(logs.join(''));
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}:\n${logs.join('')}`)));
  });
}, START_TIMEOUT_MS + 5_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await providers?.close();
});

describe('provider links over TLS', () => {
  it('a voice turn is heard, answered by Groq and spoken, with every provider over TLS', async () => {
    expect(providers.deepgram.baseUrl).toMatch(/^https:/);
    const c = await TestClient.connect(`ws://127.0.0.1:${port}/v1/realtime`);
    await c.next('session.created');
    c.send({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { turn_detection: { type: 'server_vad' } } } },
    });
    await c.next('session.updated');
    const speech = resamplePcm16(loadSpeech('en-weather', 16_000), 16_000, 24_000);
    const bytes = new Uint8Array(speech.buffer, speech.byteOffset, speech.byteLength);
    c.appendAudio(Buffer.concat([Buffer.from(bytes), Buffer.alloc(1_000 * 48)]), 960);
    const done = await c.next('response.done', () => true, 15_000);
    expect(done.response).toMatchObject({ status: 'completed' });
    const transcript = (done.response as { output: { content?: { transcript?: string }[] }[] }).output
      .flatMap((o) => o.content ?? [])
      .map((p) => p.transcript ?? '')
      .join('');
    expect(transcript).toContain('weather like in paris');
    expect(c.types()).toContain('response.output_audio.delta');
    await c.close();
    const log = logs.join('');
    expect(log).toMatch(/"provider":"groq"[^\n]*"msg":"llm served"/);
    expect(log).not.toContain('"msg":"llm fallback"');
  }, 20_000);
});
