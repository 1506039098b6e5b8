/** ServerVad hands the VAD whole 32 ms windows, whatever the size of the appends. */
import { describe, expect, it } from 'vitest';
import type { VadFrame, VadStage } from '../../src/providers/types.js';
import { decodeMulaw } from '../../src/audio/g711.js';
import { ServerVad } from '../../src/session/server-vad.js';

/** A VAD that keeps the chunks it reads and never answers. */
class RecordingVad implements VadStage {
  readonly label = 'recording';
  readonly sampleRates = [8_000, 16_000];
  readonly kept: Int16Array[] = [];
  get chunks(): number[] {
    return this.kept.map((f) => f.length);
  }
  detect(frames: AsyncIterable<Int16Array>): AsyncIterable<VadFrame> {
    const kept = this.kept;
    return (async function* () {
      for await (const f of frames) kept.push(f);
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

  it('hands over windows that keep their samples while later appends arrive', async () => {
    // Varied audio in appends of varied sizes (one past the reused decode array's size): a window
    // or a decoded append sharing memory with a later one would show here as changed samples.
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const ulaw = Uint8Array.from({ length: 8_000 * 3 }, () => Math.floor(random() * 256));
    const vad = new RecordingVad();
    const sv = new ServerVad(vad, 'audio/pcmu', config, 0, hooks);
    for (let at = 0, k = 0; at < ulaw.length; k++) {
      const size = k === 10 ? 2_000 : [160, 7, 333, 80][k % 4]!;
      sv.push(ulaw.subarray(at, at + size));
      at += size;
    }
    await settle();
    const heard = new Int16Array(vad.kept.length * 256);
    vad.kept.forEach((f, i) => heard.set(f, i * 256));
    expect(vad.kept.length).toBe(Math.floor(ulaw.length / 256));
    expect(heard).toEqual(decodeMulaw(ulaw).subarray(0, heard.length));
    sv.close();
  });
});
