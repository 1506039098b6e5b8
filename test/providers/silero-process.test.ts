/** The Silero model in its child process answers exactly as on the calling thread, keeps each stream's state, and survives its child. */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { WINDOW_SAMPLES, loadSileroModel, sileroPackagePath } from '../../src/providers/silero/model.js';
import { loadProcessModel } from '../../src/providers/silero/process-model.js';
import { parseRssBytes } from '../../scripts/capacity/procfs.js';
import { loadSpeech } from '../fixtures/speech/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const RATE = 16_000;
const W = WINDOW_SAMPLES[RATE]!;
const IDS = [1, 2, 3, 4, 5, 6, 7, 8];
const ONES = IDS.map(() => 1);

/** Eight streams of one window of speech each, from `at` in the fixture. */
function batch(at = 8_000): Int16Array {
  const speech = loadSpeech('en-hello', RATE);
  return speech.slice(at, at + IDS.length * W);
}

const processModel = () => {
  return loadProcessModel({
    packagePath: sileroPackagePath(),
    modelPath: null,
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
  it('gives the calling thread’s probabilities, batch for batch, carrying each stream’s state', async () => {
    const [child, caller] = await Promise.all([processModel(), loadSileroModel()]);
    try {
      for (const at of [8_000, 8_000 + IDS.length * W]) {
        const a = await child.run(RATE, IDS, ONES, batch(at), []);
        const b = await caller.run(RATE, IDS, ONES, batch(at), []);
        expect(Array.from(a)).toEqual(Array.from(b));
        expect(Math.max(...a)).toBeGreaterThan(0.5);
      }
    } finally {
      await Promise.all([child.release(), caller.release()]);
    }
  });

  it('runs several windows per stream as steps, as if each step were its own batch', async () => {
    const speech = loadSpeech('en-hello', RATE);
    const counts = [3, 1, 2];
    const ids = [11, 12, 13];
    // Stream i's windows start at a different place in the fixture.
    const streams = counts.map((k, i) => speech.slice(6_000 + i * 1_500, 6_000 + i * 1_500 + k * W));
    const audio = new Int16Array(streams.reduce((n, a) => n + a.length, 0));
    streams.reduce((at, a) => (audio.set(a, at), at + a.length), 0);
    const [child, caller] = await Promise.all([processModel(), loadSileroModel()]);
    try {
      const stepped = await child.run(RATE, ids, counts, audio, []);
      expect(stepped.length).toBe(6);
      // The same windows one at a time, each stream alone (its id keeps its state in the model).
      const expected: number[] = [];
      for (const [i, k] of counts.entries())
        for (let s = 0; s < k; s++) {
          const out = await caller.run(RATE, [ids[i]!], [1], streams[i]!.subarray(s * W, (s + 1) * W), []);
          expected.push(out[0]!);
        }
      expect(Array.from(stepped)).toEqual(expected);
      expect(Math.max(...expected)).toBeGreaterThan(0.5);
    } finally {
      await Promise.all([child.release(), caller.release()]);
    }
  });

  it('starts a forgotten stream from silence again', async () => {
    const model = await processModel();
    try {
      const fresh = await model.run(RATE, IDS, ONES, batch(), []);
      const carried = await model.run(RATE, IDS, ONES, batch(), []);
      // The same audio again, with the state the first run left: other probabilities.
      expect(Array.from(carried)).not.toEqual(Array.from(fresh));
      const forgotten = await model.run(RATE, IDS, ONES, batch(), IDS);
      expect(Array.from(forgotten)).toEqual(Array.from(fresh));
    } finally {
      await model.release();
    }
  });

  it('ends its child on release, and refuses runs after it', async () => {
    const model = await processModel();
    const pid = model.pid!;
    expect(exited(pid)).toBe(false);
    await model.release();
    expect(exited(pid)).toBe(true);
    await expect(model.run(RATE, IDS, ONES, batch(), [])).rejects.toThrow(/released/);
  });

  it('fails the runs a killed child owed, then starts a new child', async () => {
    const model = await processModel();
    try {
      const first = model.pid!;
      // Stopped first: a child on the other core could otherwise answer before the kill lands.
      process.kill(first, 'SIGSTOP');
      const owed = model.run(RATE, IDS, ONES, batch(), []);
      process.kill(first, 'SIGKILL');
      await expect(owed).rejects.toThrow(/exited|SIGKILL/);
      // A replacement is started at most once a second: poll until a run succeeds.
      let out: Awaited<ReturnType<typeof model.run>> | null = null;
      for (let i = 0; i < 40 && !out; i++) {
        out = await model.run(RATE, IDS, ONES, batch(), []).catch(() => null);
        if (!out) await new Promise((r) => setTimeout(r, 100));
      }
      expect(out?.length).toBe(8);
      expect(model.pid).not.toBe(first);
    } finally {
      await model.release();
    }
  });

  it('fails its load with the reason when the weights are not there', async () => {
    await expect(
      loadProcessModel({
        packagePath: sileroPackagePath(),
        modelPath: '/nonexistent/silero.onnx',
        intraOpNumThreads: 1,
      }),
    ).rejects.toThrow(/^Silero model process: .*nonexistent/);
  });

  it('leaves onnxruntime-node to the child: the gateway process never loads it', async () => {
    // A fresh process, since this one's tests load the model on the calling thread too. Loading
    // it there afterwards shows the probe would see the runtime.
    const vadUrl = pathToFileURL(join(ROOT, 'src/providers/silero/silero-vad.ts')).href;
    const modelUrl = pathToFileURL(join(ROOT, 'src/providers/silero/model.ts')).href;
    const script = `
      import { createRequire } from 'node:module';
      const { SileroVad } = await import(${JSON.stringify(vadUrl)});
      const { loadSileroModel } = await import(${JSON.stringify(modelUrl)});
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('onnxruntime-node'));
      const vad = await SileroVad.load();
      const inChild = loaded();
      await vad.close();
      const here = await loadSileroModel();
      console.log(JSON.stringify({ inChild, here: loaded() }));
      await here.release();
    `;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ inChild: false, here: true });
  });

  // onnxruntime's Linux telemetry client writes this file when it starts (onnxruntime-node 1.30).
  // One left by an earlier process with the same pid is not this one's.
  const telemetryStarted = (pid: number, since: number) => {
    const mark = `/tmp/mat-debug-${pid}.log`;
    return existsSync(mark) && statSync(mark).mtimeMs >= since;
  };

  it.runIf(process.platform === 'linux')('starts its child with onnxruntime’s telemetry off', async () => {
    const since = Date.now() - 1_000;
    const model = await processModel();
    try {
      const pid = model.pid!;
      expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain('ORT_DISABLE_TELEMETRY=1');
      expect(telemetryStarted(pid, since)).toBe(false);
    } finally {
      await model.release();
    }
  });

  // Small runs, as under load: their arrays stay under malloc's mmap threshold, so freed bytes
  // stay in its heap. With Node's default semi-spaces the child grew about 20 MiB here.
  it.runIf(process.platform === 'linux')(
    'keeps its child’s memory from growing over thousands of small runs',
    async () => {
      const model = await processModel();
      const rssMiB = () => parseRssBytes(readFileSync(`/proc/${model.pid!}/status`, 'utf8')) / 2 ** 20;
      const ids = Array.from({ length: 20 }, (_, i) => i);
      const ones = ids.map(() => 1);
      const speech = loadSpeech('en-hello', 8_000);
      const w = WINDOW_SAMPLES[8_000]!;
      const audio = speech.slice(4_000, 4_000 + ids.length * w);
      try {
        for (let i = 0; i < 50; i++) await model.run(8_000, ids, ones, audio, []);
        const warm = rssMiB();
        for (let i = 0; i < 3_000; i++) await model.run(8_000, ids, ones, audio, []);
        expect(rssMiB() - warm).toBeLessThan(12);
      } finally {
        await model.release();
      }
    },
    30_000,
  );

  it.runIf(process.platform === 'linux')('turns the telemetry off on the calling thread too', async () => {
    const modelUrl = pathToFileURL(join(ROOT, 'src/providers/silero/model.ts')).href;
    const script = `
      const { loadSileroModel } = await import(${JSON.stringify(modelUrl)});
      const model = await loadSileroModel();
      console.log(JSON.stringify({ pid: process.pid, off: process.env.ORT_DISABLE_TELEMETRY }));
      await model.release();
    `;
    // Neither the setting nor CI (which onnxruntime also reads) comes from this test's environment.
    const { CI: _ci, ORT_DISABLE_TELEMETRY: _off, ...env } = process.env;
    const since = Date.now() - 1_000;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      env,
    });
    const { pid, off } = JSON.parse(stdout.trim().split('\n').at(-1)!) as { pid: number; off?: string };
    expect(off).toBe('1');
    expect(telemetryStarted(pid, since)).toBe(false);
  });
});
