/**
 * Silero VAD cost, alone and batched: `npx tsx scripts/bench-vad.ts [--quick] [--json FILE]`.
 *
 * 1. The model: one run of N windows (N = 1, 8, 32, 64), per-window cost, median of 7 runs.
 * 2. The stage: N streams fed as fast as they go through SileroVad.detect (batcher included).
 * 3. Real time: N streams each sending 20 ms chunks on their own clock (random phase), for
 *    several batch waits: mean batch size, model time per window, event-loop utilization (the
 *    simulated clients' own timers included) and the added delay (from a window's last sample
 *    arriving to its frame coming out).
 * 4. The session side: main-thread CPU per session-second of 20 ms G.711 appends going through
 *    ServerVad (decoding, framing, the batcher's queue, the model's answers read back) for 200
 *    sessions, fed as fast as the model keeps up. The model's own time is in its child process.
 * The real-time capacity figure is 32 ms divided by the per-window cost: streams one core keeps
 * up with if it does nothing else. onnxruntime-node runs on the calling thread, so that core is
 * the event loop's.
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadSileroModel } from '../src/providers/silero/model.js';
import { SileroVad } from '../src/providers/silero/index.js';
import { loadSpeech } from '../test/fixtures/speech/index.js';
import { encodeMulaw } from '../src/audio/g711.js';
import { ServerVad } from '../src/session/server-vad.js';
import { turnDetectorConfigFor } from '../src/pipeline/turn-detector.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonAt = args.indexOf('--json');
const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
const WINDOW_MS = 32;
const BATCHES = [1, 8, 32, 64];
const REPEATS = 7;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results: Record<string, unknown> = {};

async function benchModel(): Promise<void> {
  const model = await loadSileroModel();
  const rows: Record<string, unknown>[] = [];
  for (const rate of [16000, 8000]) {
    const window = rate === 16000 ? 512 : 256;
    for (const n of BATCHES) {
      const input = new Int16Array(n * window).map(() => (Math.random() - 0.5) * 6_000);
      // The same n streams every run: the model carries their state from run to run.
      const streams = Array.from({ length: n }, (_, i) => i);
      const ones = new Array<number>(n).fill(1);
      const run = () => model.run(rate, streams, ones, input, []);
      const runs = Math.max(20, Math.round((quick ? 200 : 1000) / n));
      for (let i = 0; i < 10; i++) await run();
      const perWindow: number[] = [];
      for (let r = 0; r < REPEATS; r++) {
        const t = performance.now();
        for (let i = 0; i < runs; i++) await run();
        perWindow.push((performance.now() - t) / runs / n);
      }
      const ms = median(perWindow);
      rows.push({ rate, batch: n, msPerWindow: +ms.toFixed(4), streamsPerCore: Math.floor(WINDOW_MS / ms) });
    }
  }
  await model.release();
  console.log('\n1. Model run, per window (median of 7)');
  console.table(rows);
  results.model = rows;
}

/** N streams of `seconds` of speech each, fed as fast as they go. */
async function benchStageFast(): Promise<void> {
  const rows: Record<string, unknown>[] = [];
  for (const rate of [16000, 8000]) {
    const speech = loadSpeech('two-turns', rate);
    for (const n of BATCHES) {
      const vad = await SileroVad.load();
      const perWindow: number[] = [];
      let batch = 0;
      // Round -1 warms the model and the code paths up; it is not counted.
      for (let r = -1; r < (quick ? 3 : 5); r++) {
        const before = vad.stats(rate);
        const t = performance.now();
        await Promise.all(
          Array.from({ length: n }, async () => {
            async function* chunks() {
              for (let i = 0; i < speech.length; i += rate / 50) yield speech.subarray(i, i + rate / 50);
            }
            for await (const _ of vad.detect(chunks(), { sampleRate: rate }, new AbortController().signal));
          }),
        );
        const after = vad.stats(rate);
        const windows = after.windows - before.windows;
        if (r >= 0) perWindow.push((performance.now() - t) / windows);
        batch = windows / (after.runs - before.runs);
      }
      await vad.close();
      const ms = median(perWindow);
      rows.push({ rate, streams: n, msPerWindow: +ms.toFixed(4), meanBatch: +batch.toFixed(1) });
    }
  }
  console.log('\n2. SileroVad.detect, streams fed as fast as they go (wall time per window, median)');
  console.table(rows);
  results.stageFast = rows;
}

/** N real-time streams for `seconds`, with a given batch wait. */
async function realTime(n: number, waitMs: number, seconds: number) {
  const rate = 16000;
  const speech = loadSpeech('two-turns', rate);
  const chunk = rate / 50;
  const vad = await SileroVad.load({ maxBatchWaitMs: waitMs });
  const delays: number[] = [];
  const elu0 = performance.eventLoopUtilization();
  await Promise.all(
    Array.from({ length: n }, async () => {
      const phase = Math.random() * 20;
      const arrivals: number[] = []; // when each sample count was reached, per chunk
      async function* chunks() {
        await new Promise((r) => setTimeout(r, phase));
        const start = performance.now();
        for (let k = 0; (k + 1) * 20 <= seconds * 1000; k++) {
          const due = start + k * 20;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          const off = (k * chunk) % (speech.length - chunk);
          arrivals.push(performance.now());
          yield speech.subarray(off, off + chunk);
        }
      }
      let w = 0;
      for await (const f of vad.detect(chunks(), { sampleRate: rate }, new AbortController().signal)) {
        // The window's last sample came with chunk floor((endMs - 1) / 20).
        const arrived = arrivals[Math.floor((f.endMs - 1) / 20)];
        if (arrived !== undefined && w++ > 5) delays.push(performance.now() - arrived);
      }
    }),
  );
  const elu = performance.eventLoopUtilization(elu0);
  const s = vad.stats(rate);
  await vad.close();
  delays.sort((a, b) => a - b);
  return {
    streams: n,
    waitMs: waitMs,
    meanBatch: +(s.windows / s.runs).toFixed(1),
    modelMsPerWindow: +(s.modelMs / s.windows).toFixed(4),
    loopBusyPct: +(elu.utilization * 100).toFixed(1),
    delayP50Ms: +delays[Math.floor(delays.length * 0.5)]!.toFixed(2),
    delayP95Ms: +delays[Math.floor(delays.length * 0.95)]!.toFixed(2),
  };
}

async function benchRealTime(): Promise<void> {
  const rows: Record<string, unknown>[] = [];
  for (const n of quick ? [32] : [8, 32, 64]) {
    for (const wait of [0, 1, 2, 4]) rows.push(await realTime(n, wait, quick ? 1.5 : 3));
  }
  console.log('\n3. Real time at 16 kHz, 20 ms chunks per stream on its own clock');
  console.table(rows);
  results.realTime = rows;
}

/** Main-thread CPU of `n` sessions' server VAD over `seconds` of 20 ms μ-law appends each. */
async function sessionSide(n: number, seconds: number): Promise<number> {
  const ulaw = encodeMulaw(loadSpeech('two-turns', 8000));
  const vad = await SileroVad.load();
  // What a session with the default server_vad settings runs.
  const config = turnDetectorConfigFor({ type: 'server_vad', threshold: 0.5, silence_duration_ms: 500 });
  const hooks = {
    speechStarted: () => undefined,
    speechStopped: () => undefined,
    failed: (err: unknown) => {
      throw err;
    },
  };
  const sessions = Array.from({ length: n }, () => new ServerVad(vad, 'audio/pcmu', config, 0, hooks));
  const windowsDone = () => vad.stats(8000).windows;
  const cpu = process.cpuUsage();
  for (let k = 0; k < seconds * 50; k++) {
    const at = (k * 160) % (ulaw.length - 160);
    for (const s of sessions) s.push(ulaw.subarray(at, at + 160));
    // Half a second at a time, then wait for the model: its queue stays short, as in real time.
    if (k % 25 === 24) {
      const due = n * (Math.floor(((k + 1) * 160) / 256) - 4);
      while (windowsDone() < due) await new Promise((r) => setTimeout(r, 1));
    }
  }
  const used = process.cpuUsage(cpu);
  for (const s of sessions) s.close();
  await vad.close();
  return (used.user + used.system) / 1000 / (n * seconds);
}

async function benchSessionSide(): Promise<void> {
  const n = 200;
  const seconds = quick ? 5 : 20;
  await sessionSide(n, 2); // warm-up, not counted
  const runs: number[] = [];
  for (let r = 0; r < (quick ? 3 : 5); r++) runs.push(await sessionSide(n, seconds));
  const row = { sessions: n, seconds, cpuMsPerSessionSecond: +median(runs).toFixed(4) };
  console.log('\n4. Server VAD, session side: main-thread CPU per session-second (median)');
  console.table([row]);
  results.sessionSide = { ...row, runs };
}

await benchModel();
await benchStageFast();
await benchRealTime();
await benchSessionSide();
if (jsonFile) writeFileSync(jsonFile, JSON.stringify(results, null, 2));
