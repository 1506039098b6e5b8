/**
 * From a clean start with no provider keys, the gateway runs on its built-in emulators: the
 * official SDK sends a text turn over wss:// and gets `You said: ...` with audio deltas that
 * decode to speech. The gateway runs as `npm start` runs it, as its own process, and drains on
 * SIGTERM: a response in flight finishes, new connections are refused, the socket closes 1001.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDevCert } from '../../scripts/dev-cert.js';
import { closeOf, refusedUpgrade, waitUntil } from '../helpers/http.js';
import { GATEWAY_START_TIMEOUT_MS, spawnGateway } from '../helpers/gateway-process.js';
import { TestClient } from '../helpers/ws-client.js';

let child: ChildProcess;
let port = 0;
let ca = '';
let logs: string[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-offline-'));
  const pems = await makeDevCert();
  ca = pems.cert;
  writeFileSync(join(dir, 'cert.pem'), pems.cert);
  writeFileSync(join(dir, 'key.pem'), pems.key);
  ({ child, port, logs } = await spawnGateway({
    TLS_CERT_FILE: join(dir, 'cert.pem'),
    TLS_KEY_FILE: join(dir, 'key.pem'),
  }));
}, GATEWAY_START_TIMEOUT_MS + 5_000);

afterAll(async () => {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
});

describe('offline mode from a clean start', () => {
  it('says plainly at start-up that it runs on the emulators', () => {
    expect(logs.join('')).toContain('offline mode');
  });

  it('answers the official SDK with a transcript and real speech', async () => {
    const client = new OpenAI({ apiKey: 'any-key', baseURL: `https://127.0.0.1:${port}/v1` });
    const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { ca } }, client);
    const errors: unknown[] = [];
    rt.on('error', (e) => errors.push(e));
    const audio: Buffer[] = [];
    let transcript = '';
    rt.on('response.output_audio.delta', (e) => audio.push(Buffer.from(e.delta, 'base64')));
    rt.on('response.output_audio_transcript.delta', (e) => (transcript += e.delta));
    const done = new Promise<{ status: string }>((resolve) =>
      rt.on('response.done', (e) => resolve(e.response as never)),
    );
    await new Promise<void>((resolve) => rt.socket.once('open', () => resolve()));
    rt.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello from the test' }] },
    });
    rt.send({ type: 'response.create' });
    expect((await done).status).toBe('completed');
    rt.close();
    expect(errors).toEqual([]);
    expect(transcript).toBe('You said: hello from the test.');

    const pcm = Buffer.concat(audio);
    const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.byteLength / 2);
    const seconds = samples.length / 24_000;
    expect(seconds).toBeGreaterThan(1);
    expect(seconds).toBeLessThan(5);
    // Speech, not a tone or silence: loud overall, with quiet gaps between loud stretches.
    const frame = 480; // 20 ms
    const energies: number[] = [];
    for (let i = 0; i + frame <= samples.length; i += frame) {
      let sum = 0;
      for (let j = i; j < i + frame; j++) sum += samples[j]! * samples[j]!;
      energies.push(Math.sqrt(sum / frame));
    }
    const loudest = Math.max(...energies);
    expect(loudest).toBeGreaterThan(1_000);
    const quiet = energies.filter((e) => e < loudest * 0.1).length / energies.length;
    const loud = energies.filter((e) => e > loudest * 0.3).length / energies.length;
    expect(quiet).toBeGreaterThan(0.05);
    expect(loud).toBeGreaterThan(0.2);
  });

  // Last: it stops the gateway.
  it('drains on SIGTERM: the response in flight finishes, a new connection gets 503, then 1001', async () => {
    const url = `wss://127.0.0.1:${port}/v1/realtime`;
    const c = await TestClient.connect(url, { ca });
    await c.next('session.created');
    const words = Array.from({ length: 15 }, (_, i) => `word ${i}`).join(' ');
    c.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: words }] },
    });
    c.send({ type: 'response.create' });
    await c.next('response.created');
    const closed = closeOf(c.ws);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await waitUntil(() => logs.join('').includes('"msg":"draining"'), 5_000);

    const refused = await refusedUpgrade(url, { ca });
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatchObject({ code: 'server_draining' });

    const done = await c.next('response.done', () => true, 15_000);
    expect(done.response).toMatchObject({ status: 'completed' });
    expect(c.types().filter((t) => t === 'response.output_audio.delta').length).toBeGreaterThan(0);
    expect(await closed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(await exited).toBe(0);
  }, 30_000);
});
