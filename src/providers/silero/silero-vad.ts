/**
 * Silero VAD behind the VadStage contract: one ONNX session for every stream in the process,
 * natively at 8 kHz (G.711 audio needs no resampling) and 16 kHz, with the windows of concurrent
 * streams run as one batch (batcher.ts).
 */
import { Pcm16Framer } from '../../audio/framer.js';
import type { VadDetectOptions, VadFrame, VadRun, VadStage } from '../types.js';
import type { BatcherLimits } from './batcher.js';
import { RateBatcher } from './batcher.js';
import type { SileroModel, SileroModelOptions } from './model.js';
import { loadSileroModel, sileroPackagePath, WINDOW_SAMPLES } from './model.js';
import { loadProcessModel } from './process-model.js';

/**
 * Windows per run. Per-window cost falls from 0.25 ms alone to about 0.1 ms at 8-32 and
 * 0.09 ms at 64 (16 kHz, scripts/bench-vad.ts); a 64-window run takes about 6 ms, which bounds
 * how long one run holds the event loop.
 */
export const DEFAULT_MAX_BATCH = 256;
/**
 * Longest a window waits for other streams' windows. Streams send audio at their own pace, so a
 * short wait is what lets them meet; 2 ms is under a tenth of a 32 ms window and small against
 * any silence duration (measured choice: scripts/bench-vad.ts).
 */
export const DEFAULT_MAX_BATCH_WAIT_MS = 2;
/**
 * Longest a window waits when the caller says no turn can start or end on it (most windows: see
 * VadStage.detect's `urgent`). At 100 sessions, letting every window wait 24 ms instead of 2 cut
 * the gateway's CPU by about a fifth and added about 20 ms to every turn (README, Capacity); a
 * turn's deciding windows keep the short wait (server VAD's `urgent`).
 */
export const DEFAULT_RELAXED_BATCH_WAIT_MS = 24;
/**
 * Windows of one stream per run (consecutive steps): a stream that fell 1 s behind catches up in
 * one run.
 */
export const DEFAULT_MAX_STEPS = 32;
/**
 * Windows a stream may have queued or in a run (2 s of audio). Past it the stream waits for its
 * answers before it reads more audio, so a stalled model backs up into the audio channel, whose
 * own bound then applies.
 */
const MAX_WINDOWS_IN_FLIGHT = 64;
/**
 * Streams per sample rate: a bound on the batcher's queue, not the gateway's session limit. At
 * 0.03 to 0.1 ms per batched window (8 and 16 kHz) one core serves 300 to 1000 real-time streams;
 * a lower cap would refuse turn detection to sessions the gateway still admits (256 was below the
 * 300 sessions `npm run bench:capacity` targets on two cores).
 */
export const DEFAULT_MAX_STREAMS = 1024;

/** Options of the Silero VAD stage. */
export interface SileroVadOptions extends SileroModelOptions {
  /** Default DEFAULT_MAX_BATCH. */
  maxBatch?: number;
  /** Default DEFAULT_MAX_BATCH_WAIT_MS; 0 runs each urgent window in the next check phase. */
  maxBatchWaitMs?: number;
  /** Default DEFAULT_RELAXED_BATCH_WAIT_MS; below `maxBatchWaitMs` it is `maxBatchWaitMs`. */
  relaxedBatchWaitMs?: number;
  /** Default DEFAULT_MAX_STREAMS (per sample rate). */
  maxStreams?: number;
  /** Told of every answered model run: how long its windows waited (metrics). */
  onRun?: (run: VadRun) => void;
}

let shared: SileroVad | null = null;

/** One window's answer on its way, readable without awaiting once it settled. */
class InFlight {
  settled = false;
  probability: number | null = null;
  error: unknown = null;
  /** `onSettled` runs when the answer is in. */
  constructor(answer: Promise<number | null>, onSettled: () => void) {
    answer.then(
      (p) => {
        this.settled = true;
        this.probability = p;
        onSettled();
      },
      (err: unknown) => {
        this.settled = true;
        this.error = err;
        onSettled();
      },
    );
  }
}

/** Silero v5 voice activity detection with cross-stream batching. */
export class SileroVad implements VadStage {
  readonly label = 'silero.vad';
  readonly sampleRates: readonly number[] = [8000, 16000];
  private readonly limits: BatcherLimits;
  private model: Promise<SileroModel> | null = null;
  private readonly batchers = new Map<number, RateBatcher>();
  private closed = false;

  /** Validates options; the model loads on the first `detect` (or `load`). */
  constructor(private readonly options: SileroVadOptions = {}) {
    const limits = {
      maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH,
      maxWaitMs: options.maxBatchWaitMs ?? DEFAULT_MAX_BATCH_WAIT_MS,
      relaxedWaitMs: options.relaxedBatchWaitMs ?? DEFAULT_RELAXED_BATCH_WAIT_MS,
      maxSteps: DEFAULT_MAX_STEPS,
      maxStreams: options.maxStreams ?? DEFAULT_MAX_STREAMS,
    };
    for (const [name, value, min] of [
      ['maxBatch', limits.maxBatch, 1],
      ['maxBatchWaitMs', limits.maxWaitMs, 0],
      ['relaxedBatchWaitMs', limits.relaxedWaitMs, 0],
      ['maxStreams', limits.maxStreams, 1],
      ['intraOpNumThreads', options.intraOpNumThreads ?? 1, 1],
    ] as const) {
      if (!Number.isInteger(value) || value < min)
        throw new RangeError(`SileroVad: ${name} must be a whole number >= ${min}, got ${value}`);
    }
    this.limits = limits;
  }

  /** A new instance with its model loaded, so a bad install fails at startup rather than mid-call. */
  static async load(options: SileroVadOptions = {}): Promise<SileroVad> {
    const vad = new SileroVad(options);
    await vad.ready();
    return vad;
  }

  /** The process-wide instance (default options): one ONNX session for every session. */
  static shared(): SileroVad {
    if (!shared || shared.closed) shared = new SileroVad();
    return shared;
  }

  /** Loads the model if it is not loaded yet. */
  async ready(): Promise<void> {
    await this.loadModel();
  }

  /** Streams open now, per sample rate. */
  openStreams(sampleRate: number): number {
    return this.batchers.get(sampleRate)?.size ?? 0;
  }

  /** Windows, model runs and ms spent in the model so far at `sampleRate` (windows / runs: mean batch). */
  stats(sampleRate: number): { windows: number; runs: number; modelMs: number } {
    const s = this.batchers.get(sampleRate)?.stats;
    return { windows: s?.windows ?? 0, runs: s?.runs ?? 0, modelMs: s?.modelMs ?? 0 };
  }

  /** Releases the ONNX session. Open streams throw at their next window, as does a later `detect`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const model = this.model;
    this.model = null;
    for (const b of this.batchers.values()) b.shutdown();
    this.batchers.clear();
    if (model) await (await model.catch(() => null))?.release();
  }

  async *detect(
    frames: AsyncIterable<Int16Array>,
    opts: VadDetectOptions,
    signal: AbortSignal,
  ): AsyncIterable<VadFrame> {
    const { sampleRate, urgent } = opts;
    const windowSamples = WINDOW_SAMPLES[sampleRate];
    if (!windowSamples || !this.sampleRates.includes(sampleRate))
      throw new RangeError(`SileroVad: sample rate ${sampleRate} not supported (8000 or 16000)`);
    if (signal.aborted) return;
    const batcher = await this.batcherFor(sampleRate);
    if (signal.aborted) return;
    const stream = batcher.open();
    // One wake-up for whatever comes first: audio, the oldest answer, or the abort. (A race
    // against long-lived promises would leave a reaction on them at every wait.)
    let wake: (() => void) | null = null;
    const poke = () => {
      const w = wake;
      wake = null;
      w?.();
    };
    const onAbort = () => {
      stream.close();
      poke();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const it = frames[Symbol.asyncIterator]();
    // Windows sent and not yet yielded, oldest first: audio keeps flowing to the model while
    // earlier answers are out, and answers are yielded in order.
    const inFlight: InFlight[] = [];
    let reading = false;
    // Set by the read's callbacks; typed wide so the loop's checks are not narrowed away.
    let input = null as { result: IteratorResult<Int16Array> } | { error: unknown } | null;
    let inputDone = false;
    try {
      // The only audio held back: less than one window, carried over between chunks.
      const framer = new Pcm16Framer(windowSamples);
      const windowMs = (windowSamples * 1000) / sampleRate;
      let sent = 0;
      const send = (window: Int16Array) => {
        sent++;
        inFlight.push(new InFlight(stream.infer(window, urgent?.(sent * windowMs) ?? true), poke));
      };
      let index = 0;
      for (;;) {
        if (signal.aborted) return;
        while (inFlight[0]?.settled) {
          const w = inFlight.shift()!;
          if (w.error) throw w.error;
          if (w.probability === null) {
            if (signal.aborted) return;
            throw new Error('SileroVad: closed while a stream was running');
          }
          // On the stream's own timeline, from whole sample counts (32 ms per window at both rates).
          yield {
            startMs: (index * windowSamples * 1000) / sampleRate,
            endMs: ((index + 1) * windowSamples * 1000) / sampleRate,
            probability: w.probability,
          };
          index++;
          if (signal.aborted) return;
        }
        if (inputDone && inFlight.length === 0) return;
        if (input) {
          const got = input;
          input = null;
          if ('error' in got) throw got.error;
          if (got.result.done) {
            inputDone = true;
            continue;
          }
          const chunk = got.result.value;
          // Whole windows (server VAD sends them) go to the model as they are, not copied again.
          if (framer.held === 0 && chunk.length === windowSamples) send(chunk);
          else framer.push(chunk, send);
          continue;
        }
        if (!reading && !inputDone && inFlight.length < MAX_WINDOWS_IN_FLIGHT) {
          reading = true;
          it.next().then(
            (result) => {
              reading = false;
              input = { result };
              poke();
            },
            (error: unknown) => {
              reading = false;
              input = { error };
              poke();
            },
          );
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      stream.close();
      // A pending next() would hold return() until it settles: let it settle on its own then.
      const done = reading ? undefined : it.return?.();
      void done?.catch(() => undefined);
    }
  }

  private loadModel(): Promise<SileroModel> {
    if (this.closed) return Promise.reject(new Error('SileroVad: closed'));
    if (!this.model) {
      this.model =
        (this.options.host ?? 'process') === 'process' ? this.loadInChild() : loadSileroModel(this.options);
      // A failed load is retried by the next caller rather than cached forever.
      this.model.catch(() => {
        this.model = null;
      });
    }
    return this.model;
  }

  /** The model in its child process (process-model.ts). */
  private loadInChild(): Promise<SileroModel> {
    return loadProcessModel({
      packagePath: sileroPackagePath(),
      modelPath: this.options.modelPath ?? null,
      intraOpNumThreads: this.options.intraOpNumThreads ?? 1,
    });
  }

  private async batcherFor(sampleRate: number): Promise<RateBatcher> {
    const model = await this.loadModel();
    if (this.closed) throw new Error('SileroVad: closed');
    let b = this.batchers.get(sampleRate);
    if (!b) {
      b = new RateBatcher(model, sampleRate, this.limits, this.options.onRun);
      this.batchers.set(sampleRate, b);
    }
    return b;
  }
}
