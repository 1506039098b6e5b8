/**
 * Provider faults seen from a Realtime client: the gateway with its real adapters and SDKs against
 * the emulators. A failing provider yields a fallback or a failed response with a reason, never a
 * hang, and the session goes on.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeepgramEmulator } from '../../src/emulators/deepgram/index.js';
import type { RunningLlmEmulator } from '../../src/emulators/llm/index.js';
import type { AssembledProviders } from '../../src/main.js';
import { startProviderGateway } from '../helpers/gateway.js';
import type { ProviderGateway } from '../helpers/gateway.js';
import { TestClient } from '../helpers/ws-client.js';

let gw: ProviderGateway;
let providers: AssembledProviders;
let url: string;

beforeAll(async () => {
  gw = await startProviderGateway({
    env: { LLM_FIRST_TOKEN_DEADLINE_MS: '300' },
    sttScript: ['what time is it'],
  });
  ({ providers, url } = gw);
}, 20_000);
afterAll(() => gw.close());
afterEach(() => {
  const e = providers.emulators!;
  for (const emulator of [e.deepgram, e.groq, e.cerebras, e.anthropic, e.cartesia]) emulator.setFault(null);
});

async function textTurn(c: TestClient, text: string, modality: 'text' | 'audio' = 'text') {
  c.send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
  });
  c.send({ type: 'response.create', response: { output_modalities: [modality] } });
  const created = await c.next('response.created');
  const id = (created.response as { id: string }).id;
  return (await c.next('response.done', (e) => (e.response as { id: string }).id === id, 10_000))
    .response as {
    status: string;
    status_details: unknown;
    output: { content: { text?: string; transcript?: string }[] }[];
  };
}

function requests(e: unknown): number {
  return (e as RunningLlmEmulator).requestCount;
}

describe('provider faults through the gateway', () => {
  it('Groq 5xx, 429 and stall: Cerebras answers the same turn', async () => {
    const e = providers.emulators!;
    const c = await TestClient.connect(url);
    await c.next('session.created');
    for (const fault of [
      { kind: 'http_error', status: 503 },
      { kind: 'http_error', status: 429, retryAfterSeconds: 5 },
      { kind: 'stall_after_headers' },
    ] as const) {
      e.groq.setFault(fault, 1);
      const before = requests(e.cerebras);
      const r = await textTurn(c, 'are you there');
      expect(r.status).toBe('completed');
      expect(r.output[0]!.content[0]!.text).toBe('You said: are you there.');
      expect(requests(e.cerebras)).toBe(before + 1);
    }
    await c.close();
  });

  it('every LLM down: the response fails with provider_error and the session goes on', async () => {
    const e = providers.emulators!;
    const c = await TestClient.connect(url);
    await c.next('session.created');
    for (const llm of [e.groq, e.cerebras, e.anthropic]) llm.setFault({ kind: 'http_error', status: 500 }, 1);
    const failed = await textTurn(c, 'hello');
    expect(failed).toMatchObject({
      status: 'failed',
      status_details: { type: 'failed', error: { code: 'provider_error' } },
    });
    expect((await textTurn(c, 'hello again')).status).toBe('completed');
    await c.close();
  });

  it('a Cartesia error ends the response cleanly; text responses still work in the session', async () => {
    providers.emulators!.cartesia.setFault({ kind: 'error_message', message: 'voice not found' }, 1);
    const c = await TestClient.connect(url);
    await c.next('session.created');
    const r = await textTurn(c, 'speak please', 'audio');
    expect(r).toMatchObject({ status: 'failed', status_details: { error: { code: 'provider_error' } } });
    const types = c.types();
    expect(types.lastIndexOf('response.content_part.done')).toBeLessThan(types.lastIndexOf('response.done'));
    expect((await textTurn(c, 'then text')).status).toBe('completed');
    await c.close();
  });

  it('a refused Cartesia handshake fails the response, not the process', async () => {
    providers.emulators!.cartesia.setFault({ kind: 'refuse_handshake', status: 401 }, 1);
    const c = await TestClient.connect(url);
    await c.next('session.created');
    const r = await textTurn(c, 'speak please', 'audio');
    expect(r.status).toBe('failed');
    // The next response opens a new socket, which is accepted.
    expect((await textTurn(c, 'and now', 'audio')).status).toBe('completed');
    await c.close();
  });

  it('a Deepgram that refuses the audio: the response fails with a reason instead of answering nothing', async () => {
    providers.emulators!.deepgram.setFault({ kind: 'refuse_handshake', status: 401 }, 3);
    const c = await TestClient.open(url, {
      type: 'realtime',
      output_modalities: ['text'],
      audio: { input: { turn_detection: null } },
    });
    c.send({ type: 'input_audio_buffer.append', audio: Buffer.alloc(48 * 300).toString('base64') });
    c.send({ type: 'input_audio_buffer.commit' });
    c.send({ type: 'response.create' });
    const done = await c.next('response.done', () => true, 10_000);
    expect(done.response).toMatchObject({
      status: 'failed',
      status_details: { error: { code: 'provider_error' } },
    });
    await c.close();
  });

  it('a Deepgram drop mid-utterance still yields the complete transcript', async () => {
    const e = providers.emulators!;
    const connections = () => (e.deepgram as DeepgramEmulator).connections;
    const before = connections();
    e.deepgram.setFault({ kind: 'close_mid_stream', afterMs: 0, code: 1011, reason: 'NET-0000' }, 1);
    const c = await TestClient.open(url, {
      type: 'realtime',
      audio: { input: { turn_detection: null, transcription: { model: 'nova-3' } } },
    });
    // One second of a loud 300 Hz tone, then silence: one utterance to the emulator's energy detector.
    const pcm = new Int16Array(24_000 * 1.5);
    for (let i = 0; i < 24_000; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / 24_000));
    c.send({ type: 'input_audio_buffer.append', audio: Buffer.from(pcm.buffer).toString('base64') });
    c.send({ type: 'input_audio_buffer.commit' });
    const done = await c.next('conversation.item.input_audio_transcription.completed', () => true, 10_000);
    expect(done.transcript).toBe('what time is it');
    // The first connection was dropped; the replay went over a second one.
    expect(connections() - before).toBe(2);
    await c.close();
  });
});
