/** The Silero batcher with a stand-in model: windows that queue up while a run is out go in the next run as steps. */
import { describe, expect, it, vi } from 'vitest';
import { RateBatcher } from '../../src/providers/silero/batcher.js';
import type { VadRun } from '../../src/providers/types.js';
import type { SileroModel } from '../../src/providers/silero/model.js';
import { WINDOW_SAMPLES } from '../../src/providers/silero/model.js';

const RATE = 8000;
const W = WINDOW_SAMPLES[RATE]!;

/** A model whose probability is a window's first sample / 1000, answering each run when the test says. */
function slowModel() {
  const runs: { streams: number[]; counts: number[]; forget: number[]; release: () => void }[] = [];
  const model: SileroModel = {
    run(_rate, streams, counts, audio, forget) {
      return new Promise((resolve) => {
        const probabilities: number[] = [];
        for (let at = 0; at < audio.length; at += W) probabilities.push(audio[at]! / 1000);
        runs.push({
          streams: [...streams],
          counts: [...counts],
          forget: [...forget],
          release: () => resolve(Float32Array.from(probabilities)),
        });
      });
    },
    release: async () => undefined,
  };
  return { model, runs };
}

const LIMITS = { maxBatch: 8, maxSteps: 4, maxWaitMs: 0, relaxedWaitMs: 0, maxStreams: 4 };
const windowOf = (v: number) => new Int16Array(W).fill(Math.round(v * 1000));
/** Two check phases: a run the batcher schedules with setImmediate has started after it. */
const tick = async () => {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
};

describe('Silero batcher', () => {
  it('sends a stream’s queued windows as steps of one run, answered in order', async () => {
    const { model, runs } = slowModel();
    const batcher = new RateBatcher(model, RATE, { ...LIMITS });
    const a = batcher.open();
    const b = batcher.open();
    const answers: Promise<number | null>[] = [];
    answers.push(a.infer(windowOf(0.1)), b.infer(windowOf(0.9)));
    await tick();
    expect(runs.map((r) => r.counts)).toEqual([[1, 1]]);
    // While the first run is out, stream a queues five more windows and b one.
    for (const v of [0.2, 0.3, 0.4, 0.5, 0.6]) answers.push(a.infer(windowOf(v)));
    answers.push(b.infer(windowOf(0.8)));
    await tick();
    expect(runs).toHaveLength(1);
    runs[0]!.release();
    await tick();
    // One run catches up four of a's windows (maxSteps) and b's one; the fifth waits.
    expect(runs.map((r) => r.counts)).toEqual([
      [1, 1],
      [4, 1],
    ]);
    runs[1]!.release();
    await tick();
    expect(runs.map((r) => r.counts)).toEqual([[1, 1], [4, 1], [1]]);
    runs[2]!.release();
    const got = (await Promise.all(answers)).map((p) => Math.round(p! * 10) / 10);
    expect(got).toEqual([0.1, 0.9, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8]);
    a.close();
    b.close();
  });

  it('answers null to a closed stream’s windows, queued or in a run', async () => {
    const { model, runs } = slowModel();
    const batcher = new RateBatcher(model, RATE, { ...LIMITS });
    const a = batcher.open();
    const inRun = a.infer(windowOf(0.1));
    await tick();
    const queued = a.infer(windowOf(0.2));
    a.close();
    expect(await queued).toBeNull();
    runs[0]!.release();
    expect(await inRun).toBeNull();
    await tick();
    expect(runs).toHaveLength(1);
    expect(batcher.size).toBe(0);
  });

  it('gives each stream an id and tells the model which streams that ran have closed', async () => {
    const { model, runs } = slowModel();
    const batcher = new RateBatcher(model, RATE, { ...LIMITS });
    const a = batcher.open();
    const b = batcher.open();
    const neverRan = batcher.open();
    const first = [a.infer(windowOf(0.1)), b.infer(windowOf(0.2))];
    neverRan.close();
    await tick();
    expect(runs).toHaveLength(1);
    const [idA, idB] = runs[0]!.streams;
    expect(idA).not.toBe(idB);
    runs[0]!.release();
    await Promise.all(first);
    a.close();
    const next = b.infer(windowOf(0.3));
    await tick();
    // a ran and closed: the next run forgets it; the stream that never ran has nothing to forget.
    expect(runs[1]!.streams).toEqual([idB]);
    expect(runs[1]!.forget).toEqual([idA]);
    runs[1]!.release();
    expect(await next).toBeCloseTo(0.3);
    b.close();
  });

  it('reports each answered run: its windows, and how long its oldest window was queued', async () => {
    // Only the clock and the batching timer are fake: the run starts from a microtask.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const { model, runs } = slowModel();
      const reported: VadRun[] = [];
      // A long batching wait: the run starts when b's window completes the batch.
      const limits = { maxBatch: 8, maxSteps: 4, maxWaitMs: 1_000, relaxedWaitMs: 1_000, maxStreams: 4 };
      const batcher = new RateBatcher(model, RATE, limits, (run) => reported.push(run));
      const a = batcher.open();
      const b = batcher.open();
      const answers = [a.infer(windowOf(0.1))];
      vi.advanceTimersByTime(30);
      answers.push(a.infer(windowOf(0.2)), b.infer(windowOf(0.3)));
      await tick();
      expect(runs.map((r) => r.counts)).toEqual([[2, 1]]);
      vi.advanceTimersByTime(5);
      expect(reported).toEqual([]);
      runs[0]!.release();
      await Promise.all(answers);
      expect(reported).toEqual([{ sampleRate: RATE, windows: 3, queuedMs: 35 }]);
      a.close();
      b.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('answers the windows of a run whose listener throws', async () => {
    const { model, runs } = slowModel();
    const batcher = new RateBatcher(model, RATE, { ...LIMITS }, () => {
      throw new Error('metrics broke');
    });
    const a = batcher.open();
    const answer = a.infer(windowOf(0.4));
    await tick();
    runs[0]!.release();
    expect(await answer).toBeCloseTo(0.4);
    a.close();
  });

  it('holds a relaxed window up to its longer wait, and runs it with the next urgent one', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const { model, runs } = slowModel();
      const limits = { maxBatch: 8, maxSteps: 4, maxWaitMs: 2, relaxedWaitMs: 40, maxStreams: 4 };
      const batcher = new RateBatcher(model, RATE, limits);
      // Three streams, so two queued windows never make a batch that holds every stream.
      const [a, b, c] = [batcher.open(), batcher.open(), batcher.open()];
      const answers = [a.infer(windowOf(0.1), false)];
      vi.advanceTimersByTime(30);
      await tick();
      expect(runs).toHaveLength(0);
      // An urgent window is due 2 ms after it came: the relaxed one goes with it.
      answers.push(b.infer(windowOf(0.2), true));
      vi.advanceTimersByTime(1);
      await tick();
      expect(runs).toHaveLength(0);
      vi.advanceTimersByTime(1);
      await tick();
      expect(runs.map((r) => r.counts)).toEqual([[1, 1]]);
      runs[0]!.release();
      // Alone, a relaxed window runs once its own wait is over.
      answers.push(c.infer(windowOf(0.3), false));
      await tick();
      vi.advanceTimersByTime(39);
      await tick();
      expect(runs).toHaveLength(1);
      vi.advanceTimersByTime(1);
      await tick();
      expect(runs.map((r) => r.counts)).toEqual([[1, 1], [1]]);
      runs[1]!.release();
      expect((await Promise.all(answers)).map((p) => Math.round(p! * 10) / 10)).toEqual([0.1, 0.2, 0.3]);
      for (const s of [a, b, c]) s.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
