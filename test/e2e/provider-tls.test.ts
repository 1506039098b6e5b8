/**
 * The gateway as its own process, in cloud mode, on provider emulators that serve TLS with a
 * certificate it trusts only through `NODE_EXTRA_CA_CERTS`, as a deployment behind a private CA
 * would: a voice turn reaches Deepgram over `wss:`, Groq over `https:` and Cartesia over `wss:`
 * (`bench:capacity --provider-tls` relies on this).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDevCert } from '../../scripts/dev-cert.js';
import { startOfflineProviders } from '../../src/emulators/offline.js';
import type { OfflineProviders } from '../../src/emulators/offline.js';
import { GATEWAY_START_TIMEOUT_MS, spawnGateway } from '../helpers/gateway-process.js';
import type { GatewayProcess } from '../helpers/gateway-process.js';
import { speakWeatherTurn } from '../helpers/voice-turn.js';
import { TestClient } from '../helpers/ws-client.js';

let providers: OfflineProviders;
let gw: GatewayProcess;

beforeAll(async () => {
  const pems = await makeDevCert();
  const dir = mkdtempSync(join(tmpdir(), 'gw-provider-tls-'));
  writeFileSync(join(dir, 'ca.pem'), pems.cert);
  providers = await startOfflineProviders({
    fast: true,
    tls: pems,
    sttScript: ['what is the weather like in paris today'],
  });
  gw = await spawnGateway({
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
  });
}, GATEWAY_START_TIMEOUT_MS + 5_000);

afterAll(async () => {
  const child = gw?.child;
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
    const c = await TestClient.connect(`ws://127.0.0.1:${gw.port}/v1/realtime`);
    await c.next('session.created');
    await speakWeatherTurn(c);
    const done = await c.next('response.done', () => true, 15_000);
    expect(done.response).toMatchObject({ status: 'completed' });
    const transcript = (done.response as { output: { content?: { transcript?: string }[] }[] }).output
      .flatMap((o) => o.content ?? [])
      .map((p) => p.transcript ?? '')
      .join('');
    expect(transcript).toContain('weather like in paris');
    expect(c.types()).toContain('response.output_audio.delta');
    await c.close();
    const log = gw.logs.join('');
    expect(log).toMatch(/"provider":"groq"[^\n]*"msg":"llm served"/);
    expect(log).not.toContain('"msg":"llm fallback"');
  }, 20_000);
});
