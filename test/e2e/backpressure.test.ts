/**
 * A client that stops reading its socket. Past the high-water mark a response stops pulling audio
 * from the TTS, so what the server holds stays bounded; when the client reads again the response
 * completes with every byte, in order. A reader that lets small events pile past the hard limit
 * is closed with 1013.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { closeOf, waitUntil } from '../helpers/http.js';
import { TestClient } from '../helpers/ws-client.js';

let gw: TestGateway | null = null;
afterEach(async () => {
  await gw?.close();
  gw = null;
});

/** Every audio delta the server emitted (GA form, from the observer), base64 characters. */
function emittedAudio(g: TestGateway): { count: number; chars: number } {
  let count = 0;
  let chars = 0;
  for (const list of g.events.values())
    for (const e of list)
      if (e.type === 'response.output_audio.delta') {
        count++;
        chars += e.delta.length;
      }
  return { count, chars };
}

async function pausedCount(g: TestGateway): Promise<number> {
  const metric = g.gateway.metrics.registry.getSingleMetric('realtime_gateway_outbound_backpressure_total')!;
  const { values } = await metric.get();
  return values.find((v) => v.labels.action === 'paused')?.value ?? 0;
}

/**
 * 150 s of 24 kHz PCM16 (about 9.6 MB as base64 JSON): more than the loopback socket buffers
 * take (about 4 MB here) plus the high-water mark, so the pause is reached.
 */
const WORDS = 150;
const MS_PER_WORD = 1_000;

describe('backpressure', () => {
  it('a paused reader pauses generation; reading again completes the response with every byte', async () => {
    gw = await startGateway({
      env: { OUTBOUND_HIGH_WATER_BYTES: String(256 * 1024) },
      llm: () => [
        { type: 'text', delta: Array.from({ length: WORDS }, (_, i) => `word${i}`).join(' ') + '.' },
        { type: 'done', finishReason: 'stop', usage: null },
      ],
      tts: { msPerWord: MS_PER_WORD, chunkMs: 100 },
    });
    const c = await TestClient.connect(gw.url);
    await c.next('session.created');
    c.send({ type: 'response.create' });
    await c.next('response.output_audio.delta', () => true, 5_000);
    const socket = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();

    await waitUntil(async () => (await pausedCount(gw!)) >= 1, 10_000);
    const atPause = emittedAudio(gw);
    // Generation has stopped: no more audio is produced while the client does not read.
    await new Promise((r) => setTimeout(r, 300));
    const later = emittedAudio(gw);
    expect(later.count - atPause.count).toBeLessThanOrEqual(1);
    const totalBytes = WORDS * MS_PER_WORD * 48;
    // Base64: 4 characters per 3 bytes.
    expect(later.chars).toBeLessThan(((totalBytes * 4) / 3) * 0.75);
    expect(c.ws.readyState).toBe(c.ws.OPEN);

    socket.resume();
    const done = await c.next('response.done', () => true, 30_000);
    expect(done.response).toMatchObject({ status: 'completed' });
    const deltas = c.received.filter((e) => e.type === 'response.output_audio.delta');
    const received = deltas.reduce((n, e) => n + Buffer.from(e.delta as string, 'base64').byteLength, 0);
    expect(received).toBe(totalBytes);
    // Every delta the server emitted reached the client, none twice.
    expect(emittedAudio(gw).count).toBe(deltas.length);
    await c.close();
  });

  it('a reader that lets the buffer pass MAX_OUTBOUND_BUFFER_BYTES is closed with 1013', async () => {
    // Text deltas are not paused (only TTS audio is), so a stalled reader of a long text answer
    // reaches the hard limit.
    const delta = 'x'.repeat(4_000);
    gw = await startGateway({
      env: { OUTBOUND_HIGH_WATER_BYTES: '65536', MAX_OUTBOUND_BUFFER_BYTES: '131072' },
      llm: () => [
        ...Array.from({ length: 4_000 }, () => ({ type: 'text' as const, delta })),
        { type: 'done', finishReason: 'stop', usage: null },
      ],
    });
    const c = await TestClient.connect(gw.url);
    await c.next('session.created');
    const socket = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    c.send({ type: 'response.create', response: { output_modalities: ['text'] } });
    const closed = closeOf(c.ws);
    await waitUntil(async () => {
      const metric = gw!.gateway.metrics.registry.getSingleMetric(
        'realtime_gateway_outbound_backpressure_total',
      )!;
      return (await metric.get()).values.some((v) => v.labels.action === 'closed' && v.value === 1);
    }, 10_000);
    socket.resume();
    expect((await closed).code).toBe(1013);
  });
});
