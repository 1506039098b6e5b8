/**
 * Closed sessions leave nothing behind. Voice sessions on the real adapters and the emulators end
 * in the ways calls end (after a turn, mid-response, mid-speech); then every one of them must be
 * garbage-collected, the VAD must hold none of their streams, and the process must hold the same
 * handles as before they opened. The ten-minute soak is a benchmark (`npm run bench:soak`); a leak
 * per session, which users of other voice servers hit (pipecat-ai/pipecat#3116), is caught here.
 */
import { isDeepStrictEqual } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../protocol/realtime/index.js';
import { resamplePcm16 } from '../../src/audio/resampler.js';
import { loadSpeech } from '../fixtures/speech/index.js';
import { startProviderGateway } from '../helpers/gateway.js';
import type { ProviderGateway } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/http.js';
import { TestClient } from '../helpers/ws-client.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** How a test call ends. */
type Ending = 'after-turn' | 'mid-response' | 'mid-speech';

/** 24 kHz PCM16: a sentence, then `silenceMs` of silence. */
function speech(silenceMs: number): Buffer {
  const pcm = resamplePcm16(loadSpeech('en-weather', 16_000), 16_000, 24_000);
  return Buffer.concat([
    Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength),
    Buffer.alloc(silenceMs * 48),
  ]);
}

/** Handles by kind (sockets, timers, pipes), as `process.getActiveResourcesInfo()` lists them. */
function handles(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) out[kind] = (out[kind] ?? 0) + 1;
  return out;
}

/** Handles once they stay the same for half a second: what start-up began has ended by then. */
async function settledHandles(): Promise<Record<string, number>> {
  let last = handles();
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const now = handles();
    if (isDeepStrictEqual(now, last)) return now;
    last = now;
  }
}

describe('closed sessions', () => {
  let gw: ProviderGateway;
  /** Each session's configuration object, which its session holds for as long as it lives. */
  const configs = new Map<string, object>();
  const audio = speech(1_000);

  beforeAll(async () => {
    gw = await startProviderGateway({
      sttScript: ['what is the weather like in paris today'],
      observer: (sessionId, event: ServerEvent) => {
        if (event.type === 'session.created') configs.set(sessionId, event.session);
      },
    });
  }, 20_000);
  afterAll(() => gw.close());

  async function call(ending: Ending): Promise<void> {
    const c = await TestClient.connect(gw.url);
    await c.next('session.created');
    // Mid-speech: the first 800 ms only, 40 appends of 20 ms.
    c.appendAudio(ending === 'mid-speech' ? audio.subarray(0, 40 * 960) : audio, 960);
    if (ending === 'after-turn') await c.next('response.done', () => true, 15_000);
    if (ending === 'mid-response') await c.next('response.output_audio.delta', () => true, 15_000);
    if (ending === 'mid-speech') await c.next('input_audio_buffer.speech_started', () => true, 15_000);
    await c.close();
  }

  it('are garbage-collected, and leave no VAD stream and no handle, whether they end after a turn, mid-response or mid-speech', async () => {
    // Before any session, no provider connection or keep-alive socket is open yet. The waits below
    // use waitUntil, which (unlike expect.poll) has no timer of its own pending while it checks.
    const before = await settledHandles();
    const endings: Ending[] = ['after-turn', 'mid-response', 'mid-speech'];
    await Promise.all([...endings, ...endings].map((e) => call(e)));
    await waitUntil(() => gw.gateway.sessionCount === 0);
    expect(configs.size).toBe(6);
    const refs = [...configs.values()].map((c) => new WeakRef(c));
    configs.clear();
    // 24 kHz input is scored at 16 kHz.
    expect(gw.providers.openVadStreams(16_000)).toBe(0);
    const alive = () => refs.filter((r) => r.deref() !== undefined).length;
    // A WeakRef holds its target until the job that made it ends, hence a turn before each GC.
    // Timers a closed session armed (a provider's finish handshake) may need a moment to run out.
    await waitUntil(async () => {
      await new Promise((r) => setImmediate(r));
      gc();
      return alive() === 0;
    }, 10_000).catch(() => undefined);
    expect(alive()).toBe(0);
    // The LLM clients' pool keeps its idle sockets for 30 s: closed here, so what stays is what a
    // session left (a request still in flight, a provider socket).
    gw.providers.closeIdleConnections();
    await waitUntil(() => isDeepStrictEqual(handles(), before), 10_000).catch(() => undefined);
    expect(handles()).toEqual(before);
  }, 60_000);
});
