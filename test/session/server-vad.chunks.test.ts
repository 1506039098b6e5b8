/** ServerVad hands the VAD whole 32 ms windows, whatever the size of the appends. */
import { describe, expect, it } from 'vitest';
import type { VadFrame, VadStage } from '../../src/providers/types.js';
import { ServerVad } from '../../src/session/server-vad.js';

/** A VAD that records the chunk sizes it reads and never answers. */
class RecordingVad implements VadStage {
  readonly label = 'recording';
  readonly sampleRates = [8_000, 16_000];
  readonly chunks: number[] = [];
  detect(frames: AsyncIterable<Int16Array>): AsyncIterable<VadFrame> {
    const chunks = this.chunks;
    return (async function* () {
      for await (const f of frames) chunks.push(f.length);
      yield* [];
    })();
  }
}

const hooks = { speechStarted() {}, speechStopped() {}, failed() {} };
const config = {
  threshold: 0.5,
  negativeThreshold: 0.35,
  prefixPaddingMs: 300,
  silenceDurationMs: 500,
  maxSilenceMs: 500,
  minSpeechMs: 90,
  idleTimeoutMs: null,
};
const settle = () => new Promise((r) => setImmediate(r));

describe('ServerVad input chunks', () => {
  it.each([
    ['audio/pcmu', 160, 8_000, 256],
    ['audio/pcm', 960, 16_000, 512],
  ] as const)(
    '%s in %i-byte appends reaches the VAD at %i Hz in %i-sample windows',
    async (format, bytes, _rate, window) => {
      const vad = new RecordingVad();
      const sv = new ServerVad(vad, format, config, 0, hooks);
      // 1 s of appends plus one odd-sized one: a partial window stays held.
      for (let i = 0; i < 50; i++) sv.push(new Uint8Array(bytes));
      sv.push(new Uint8Array(bytes / 2));
      await settle();
      expect(vad.chunks.length).toBeGreaterThan(25);
      expect(vad.chunks.every((n) => n === window)).toBe(true);
      sv.close();
    },
  );
});
