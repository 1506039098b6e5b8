/** The Silero model on its worker thread answers exactly as on the calling thread. */
import { describe, expect, it } from 'vitest';
import {
  CONTEXT_SAMPLES,
  STATE_FLOATS,
  WINDOW_SAMPLES,
  loadSileroModel,
} from '../../src/providers/silero/model.js';
import { loadSpeech } from '../fixtures/speech/index.js';

describe('Silero model thread', () => {
  it('gives the calling thread’s probabilities and state from the worker, batch for batch', async () => {
    const rate = 16_000;
    const row = CONTEXT_SAMPLES[rate]! + WINDOW_SAMPLES[rate]!;
    const speech = loadSpeech('en-hello', rate);
    const n = 8;
    const input = new Float32Array(n * row);
    for (let i = 0; i < input.length; i++) input[i] = (speech[8_000 + i] ?? 0) / 32768;
    const state = new Float32Array(n * STATE_FLOATS);
    const [worker, caller] = await Promise.all([loadSileroModel(), loadSileroModel({ thread: 'caller' })]);
    try {
      const a = await worker.run(rate, n, input, state);
      const b = await caller.run(rate, n, input, state);
      expect(Array.from(a.probabilities)).toEqual(Array.from(b.probabilities));
      expect(Array.from(a.state)).toEqual(Array.from(b.state));
      expect(Math.max(...a.probabilities)).toBeGreaterThan(0.5);
      // The caller's buffers are its own again at once (the worker got copies).
      expect(input.length).toBe(n * row);
    } finally {
      await Promise.all([worker.release(), caller.release()]);
    }
    await expect(worker.run(rate, n, input, state)).rejects.toThrow(/exited/);
  });
});
