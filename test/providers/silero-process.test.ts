/** The Silero model in its child process answers exactly as on the calling thread, and survives its child. */
import { describe, expect, it } from 'vitest';
import {
  CONTEXT_SAMPLES,
  STATE_FLOATS,
  WINDOW_SAMPLES,
  loadSileroModel,
  modelFiles,
} from '../../src/providers/silero/model.js';
import { loadProcessModel } from '../../src/providers/silero/process-model.js';
import { loadSpeech } from '../fixtures/speech/index.js';

const RATE = 16_000;
const ROW = CONTEXT_SAMPLES[RATE]! + WINDOW_SAMPLES[RATE]!;

/** Eight streams of one window of speech each, and a zero state. */
function batch(n = 8): { input: Float32Array; state: Float32Array } {
  const speech = loadSpeech('en-hello', RATE);
  const input = new Float32Array(n * ROW);
  for (let i = 0; i < input.length; i++) input[i] = (speech[8_000 + i] ?? 0) / 32768;
  return { input, state: new Float32Array(n * STATE_FLOATS) };
}
const ONES = [1, 1, 1, 1, 1, 1, 1, 1];

const processModel = () => {
  const files = modelFiles();
  return loadProcessModel({
    ortPath: files.ortPath,
    modelPath: files.defaultModelPath,
    intraOpNumThreads: 1,
  });
};

const exited = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

describe('Silero model process', () => {
  it('gives the calling thread’s probabilities and state, batch for batch', async () => {
    const { input, state } = batch();
    const [child, caller] = await Promise.all([processModel(), loadSileroModel()]);
    try {
      const a = await child.run(RATE, ONES, input, state);
      const b = await caller.run(RATE, ONES, input, state);
      expect(Array.from(a.probabilities)).toEqual(Array.from(b.probabilities));
      expect(Array.from(a.state)).toEqual(Array.from(b.state));
      expect(Math.max(...a.probabilities)).toBeGreaterThan(0.5);
    } finally {
      await Promise.all([child.release(), caller.release()]);
    }
  });

  it('runs several windows per stream as steps, as if each step were its own batch', async () => {
    const w = WINDOW_SAMPLES[RATE]!;
    const c = CONTEXT_SAMPLES[RATE]!;
    const speech = loadSpeech('en-hello', RATE);
    const counts = [3, 1, 2];
    // Stream i's audio starts at a different place in the fixture: context, then its windows.
    const streams = counts.map((k, i) =>
      Float32Array.from(speech.subarray(6_000 + i * 1_500, 6_000 + i * 1_500 + c + k * w), (v) => v / 32768),
    );
    const audio = new Float32Array(streams.reduce((n, a) => n + a.length, 0));
    streams.reduce((at, a) => (audio.set(a, at), at + a.length), 0);
    const state = new Float32Array(counts.length * STATE_FLOATS);
    const [child, caller] = await Promise.all([processModel(), loadSileroModel()]);
    try {
      const stepped = await child.run(RATE, counts, audio, state);
      expect(stepped.probabilities.length).toBe(6);
      // The same windows one at a time, each stream alone, carrying its state.
      const expected: number[] = [];
      const finalStates: Float32Array[] = [];
      for (const [i, k] of counts.entries()) {
        let st: Float32Array = new Float32Array(STATE_FLOATS);
        for (let s = 0; s < k; s++) {
          const out = await caller.run(RATE, [1], streams[i]!.subarray(s * w, s * w + c + w), st);
          expected.push(out.probabilities[0]!);
          st = out.state;
        }
        finalStates.push(st);
      }
      expect(Array.from(stepped.probabilities)).toEqual(expected);
      // [2, n, 128]: layer 0 of each stream, then layer 1.
      for (const [i, st] of finalStates.entries()) {
        expect(Array.from(stepped.state.subarray(i * 128, (i + 1) * 128))).toEqual(
          Array.from(st.subarray(0, 128)),
        );
        expect(Array.from(stepped.state.subarray((3 + i) * 128, (4 + i) * 128))).toEqual(
          Array.from(st.subarray(128)),
        );
      }
      expect(Math.max(...expected)).toBeGreaterThan(0.5);
    } finally {
      await Promise.all([child.release(), caller.release()]);
    }
  });

  it('ends its child on release, and refuses runs after it', async () => {
    const model = await processModel();
    const pid = model.pid!;
    expect(exited(pid)).toBe(false);
    await model.release();
    expect(exited(pid)).toBe(true);
    const { input, state } = batch();
    await expect(model.run(RATE, ONES, input, state)).rejects.toThrow(/released/);
  });

  it('fails the runs a killed child owed, then starts a new child', async () => {
    const model = await processModel();
    try {
      const first = model.pid!;
      const { input, state } = batch();
      const owed = model.run(RATE, ONES, input, state);
      process.kill(first, 'SIGKILL');
      await expect(owed).rejects.toThrow(/exited|SIGKILL/);
      // A replacement is started at most once a second: poll until a run succeeds.
      let out: Awaited<ReturnType<typeof model.run>> | null = null;
      for (let i = 0; i < 40 && !out; i++) {
        out = await model.run(RATE, ONES, input, state).catch(() => null);
        if (!out) await new Promise((r) => setTimeout(r, 100));
      }
      expect(out?.probabilities.length).toBe(8);
      expect(model.pid).not.toBe(first);
    } finally {
      await model.release();
    }
  });
});
