/**
 * An in-process VAD for session tests: a window is speech when its RMS passes a level. It is not
 * a voice detector (a tone counts as speech), which is what makes scripted turns easy to write.
 */
import type { VadFrame, VadStage } from '../types.js';

/** Window length, as Silero's at 16 kHz. */
const WINDOW_MS = 32;
/** About -36 dBFS: above digital silence, below any voiced sound. */
const SPEECH_RMS = 500;

/** A VAD stage driven by signal energy. */
export class EnergyVad implements VadStage {
  readonly label = 'fake.vad';
  readonly sampleRates = [8_000, 16_000] as const;

  async *detect(
    frames: AsyncIterable<Int16Array>,
    opts: { sampleRate: number },
    signal: AbortSignal,
  ): AsyncIterable<VadFrame> {
    const window = (opts.sampleRate * WINDOW_MS) / 1000;
    let pending: number[] = [];
    let index = 0;
    for await (const chunk of frames) {
      if (signal.aborted) return;
      for (const s of chunk) pending.push(s);
      while (pending.length >= window) {
        const w = pending.slice(0, window);
        pending = pending.slice(window);
        const rms = Math.sqrt(w.reduce((n, s) => n + s * s, 0) / window);
        yield {
          startMs: index * WINDOW_MS,
          endMs: (index + 1) * WINDOW_MS,
          probability: rms >= SPEECH_RMS ? 0.95 : 0.02,
        };
        index++;
      }
    }
  }
}
