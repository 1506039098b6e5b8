/**
 * The Silero model on a worker thread. onnxruntime-node computes `session.run` on the calling
 * thread, so on the gateway's event loop every batch stalls every socket for its duration (a
 * quarter of the gateway's busy time at 100 sessions, measured with `--cpu-prof`). Here the
 * runs happen on a worker: the event loop only copies the batch there and back, and the model
 * gets the second core.
 *
 * The worker's code is a short CommonJS script run with `eval`, so it needs no file of its own
 * at a path that differs between `tsx`, Vitest and the built `dist/`.
 */
import { Worker } from 'node:worker_threads';
import type { SileroModel } from './model.js';
import { CONTEXT_SAMPLES, STATE_FLOATS, WINDOW_SAMPLES } from './model.js';

/** What the worker needs: where onnxruntime-node and the weights are, and the session options. */
export interface WorkerModelSource {
  ortPath: string;
  modelPath: string;
  intraOpNumThreads: number;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
(async () => {
  const session = await ort.InferenceSession.create(workerData.modelPath, {
    intraOpNumThreads: workerData.intraOpNumThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
  const [probName, stateName] = session.outputNames;
  const rates = new Map();
  parentPort.on('message', async (m) => {
    if (m.release) {
      await session.release();
      parentPort.postMessage({ released: true });
      return;
    }
    try {
      let sr = rates.get(m.sampleRate);
      if (!sr) rates.set(m.sampleRate, (sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(m.sampleRate)]), [])));
      const out = await session.run({
        input: new ort.Tensor('float32', m.input, [m.n, m.row]),
        state: new ort.Tensor('float32', m.state, [2, m.n, 128]),
        sr,
      });
      const p = Float32Array.from(out[probName].data);
      const s = Float32Array.from(out[stateName].data);
      parentPort.postMessage({ id: m.id, p, s }, [p.buffer, s.buffer]);
    } catch (err) {
      parentPort.postMessage({ id: m.id, error: String(err && err.message ? err.message : err) });
    }
  });
  parentPort.postMessage({ ready: true, inputs: session.inputNames, outputs: session.outputNames });
})().catch((err) => parentPort.postMessage({ fatal: String(err && err.message ? err.message : err) }));
`;

type FromWorker =
  | { ready: true; inputs: string[]; outputs: string[] }
  | { fatal: string }
  | { released: true }
  | { id: number; p: Float32Array; s: Float32Array }
  | { id: number; error: string };

/** Loads the model on a new worker thread; resolves once its session is ready. */
export async function loadWorkerModel(src: WorkerModelSource): Promise<SileroModel> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: src });
  // The worker must not keep a process alive that has nothing else to do.
  worker.unref();
  const calls = new Map<
    number,
    { resolve: (v: { probabilities: Float32Array; state: Float32Array }) => void; reject: (e: Error) => void }
  >();
  let nextId = 0;
  let dead: Error | null = null;
  let released: (() => void) | null = null;
  const failAll = (err: Error) => {
    dead = err;
    for (const c of calls.values()) c.reject(err);
    calls.clear();
  };
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: FromWorker) => {
      if ('ready' in m) {
        const missing = ['input', 'state', 'sr'].filter((n) => !m.inputs.includes(n));
        if (missing.length > 0 || m.outputs.length < 2) {
          reject(new Error(`Silero model: need Silero v5 (inputs ${m.inputs.join(', ')})`));
          void worker.terminate();
        } else resolve();
        return;
      }
      if ('fatal' in m) {
        const err = new Error(`Silero model worker: ${m.fatal}`);
        failAll(err);
        reject(err);
        return;
      }
      if ('released' in m) return released?.();
      const call = calls.get(m.id);
      if (!call) return;
      calls.delete(m.id);
      if ('error' in m) call.reject(new Error(m.error));
      else call.resolve({ probabilities: m.p, state: m.s });
    });
    worker.on('error', (err) => {
      failAll(err);
      reject(err);
    });
    worker.on('exit', (code) => {
      const err = new Error(`Silero model worker exited (${code})`);
      failAll(err);
      reject(err);
    });
  });
  await ready;
  return {
    run(sampleRate, n, input, state) {
      if (dead) return Promise.reject(dead);
      const row = (CONTEXT_SAMPLES[sampleRate] ?? 0) + (WINDOW_SAMPLES[sampleRate] ?? 0);
      if (row === 0) return Promise.reject(new RangeError(`Silero model: unsupported rate ${sampleRate}`));
      if (input.length !== n * row || state.length !== n * STATE_FLOATS)
        return Promise.reject(new RangeError('Silero model: input or state of the wrong size'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        calls.set(id, { resolve, reject });
        // Copies of the caller's views (it reuses its buffers), handed over without a second copy.
        const inputCopy = input.slice();
        const stateCopy = state.slice();
        worker.postMessage({ id, sampleRate, n, row, input: inputCopy, state: stateCopy }, [
          inputCopy.buffer,
          stateCopy.buffer,
        ]);
      });
    },
    async release() {
      if (dead) return;
      await new Promise<void>((resolve) => {
        released = resolve;
        worker.postMessage({ release: true });
      });
      await worker.terminate();
    },
  };
}
