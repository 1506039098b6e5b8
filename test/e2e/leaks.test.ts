/**
 * Closed sessions leave nothing behind. Voice sessions on the real adapters and the emulators end
 * in the ways calls end (after a turn, mid-response, mid-speech); then every one of them must be
 * garbage-collected, and the process must hold no more handles than before they opened. The
 * ten-minute soak is a benchmark (`npm run bench:soak`); this is the part of it CI can afford,
 * since a leak per session is the kind peers' users hit (`../shared/peers.md` #37).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../protocol/realtime/index.js';
import { resamplePcm16 } from '../../src/audio/resampler.js';
import { loadSpeech } from '../fixtures/speech/index.js';
import { startProviderGateway } from '../helpers/gateway.js';
import type { ProviderGateway } from '../helpers/gateway.js';
import { httpGet } from '../helpers/http.js';
import { TestClient } from '../helpers/ws-client.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** How a test call ends. */
type Ending = 'after-turn' | 'mid-response' | 'mid-speech';

/** 20 ms appends of 24 kHz PCM16: a sentence, then `silenceMs` of silence. */
function appends(silenceMs: number): string[] {
  const speech = resamplePcm16(loadSpeech('en-weather', 16_000), 16_000, 24_000);
  const bytes = Buffer.concat([
    Buffer.from(speech.buffer, speech.byteOffset, speech.byteLength),
    Buffer.alloc(silenceMs * 48),
  ]);
  const out: string[] = [];
  for (let i = 0; i < bytes.byteLength; i += 960) out.push(bytes.subarray(i, i + 960).toString('base64'));
  return out;
}

/** Handles by kind (sockets, timers, pipes), as `process.getActiveResourcesInfo()` lists them. */
function handles(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) out[kind] = (out[kind] ?? 0) + 1;
  return out;
}

describe('closed sessions', () => {
  let gw: ProviderGateway;
  /** Each session's configuration object, which its session holds for as long as it lives. */
  const configs = new Map<string, object>();
  const audio = appends(1_000);

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
    const sent = ending === 'mid-speech' ? audio.slice(0, 40) : audio;
    for (const a of sent) c.send({ type: 'input_audio_buffer.append', audio: a });
    if (ending === 'after-turn') await c.next('response.done', () => true, 15_000);
    if (ending === 'mid-response') await c.next('response.output_audio.delta', () => true, 15_000);
    if (ending === 'mid-speech') await c.next('input_audio_buffer.speech_started', () => true, 15_000);
    await c.close();
  }

  async function round(): Promise<void> {
    const endings: Ending[] = ['after-turn', 'mid-response', 'mid-speech'];
    await Promise.all([...endings, ...endings].map((e) => call(e)));
    await expect
      .poll(
        async () =>
          ((await httpGet(Number(new URL(gw.url).port), '/healthz')).json as { sessions: number }).sessions,
        {
          timeout: 5_000,
        },
      )
      .toBe(0);
  }

  it('are garbage-collected, and hold no handles, whether they end after a turn, mid-response or mid-speech', async () => {
    // The first round opens what lives as long as the process (provider clients, pools, timers).
    await round();
    configs.clear();
    const before = handles();
    await round();
    expect(configs.size).toBe(6);
    const refs = [...configs.values()].map((c) => new WeakRef(c));
    configs.clear();
    // Timers a closed session armed (a provider's finish handshake) may need a moment to run out.
    await expect
      .poll(
        async () => {
          await new Promise((r) => setImmediate(r));
          gc();
          return refs.filter((r) => r.deref() !== undefined).length;
        },
        { timeout: 10_000, interval: 200 },
      )
      .toBe(0);
    // Keep-alive sockets of the providers' HTTP pools close by themselves within seconds.
    const more = () => {
      const now = handles();
      return Object.keys(now)
        .filter((k) => now[k]! > (before[k] ?? 0))
        .map((k) => `${k}: ${before[k] ?? 0} before, ${now[k]} now`);
    };
    await expect.poll(more, { timeout: 10_000, interval: 250 }).toEqual([]);
  }, 60_000);
});
