/**
 * Does the Silero child's scheduling policy hold up the event loop?
 * `npm run bench:vad-sched -- [--seconds 8] [--rounds 3]` (Linux, with util-linux's `chrt`).
 *
 * Two busy processes hold both cores, as the gateway, the emulators and the load do in
 * `npm run bench:capacity`. This process plays the gateway's event loop: it sends a VAD run (64
 * streams of one 8 kHz window, the real model in its child), keeps busy for 5 ms, then waits for
 * the answer. Per scheduling policy of the child, alternating, it prints how long the send held
 * the loop (the synchronous part of `run`: a child woken with no core free may preempt the sender
 * inside its IPC write) and the round trip. The README's design notes say why the gateway keeps
 * the default policy all the same.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Args } from './capacity/harness.js';
import { percentile } from './capacity/stats.js';
import { sileroPackagePath, WINDOW_SAMPLES } from '../src/providers/silero/model.js';
import { loadProcessModel } from '../src/providers/silero/process-model.js';
import { loadSpeech } from '../test/fixtures/speech/index.js';

const USAGE = 'usage: npm run bench:vad-sched -- [--seconds 8] [--rounds 3]';
const args = Args.parse(USAGE);
const SECONDS = args.number('--seconds', 8);
const ROUNDS = args.number('--rounds', 3);
args.finish(USAGE);

const RATE = 8000;
const STREAMS = 64;
const W = WINDOW_SAMPLES[RATE]!;
const speech = loadSpeech('two-turns', RATE);
const audio = speech.slice(0, STREAMS * W);
const ids = Array.from({ length: STREAMS }, (_, i) => i + 1);
const ones = ids.map(() => 1);

const burn = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};
const ms = (xs: number[], q: number, digits: number) => +percentile(xs, q)!.toFixed(digits);

const model = await loadProcessModel({
  packagePath: sileroPackagePath(),
  modelPath: null,
  intraOpNumThreads: 1,
});
const hogs: ChildProcess[] = [];
try {
  for (let i = 0; i < 2; i++) hogs.push(spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' }));
  const rows: Record<string, unknown>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const policy of ['other', 'batch'] as const) {
      execFileSync('chrt', [`--${policy}`, '--all-tasks', '--pid', '0', String(model.pid)]);
      const held: number[] = [];
      const trips: number[] = [];
      const until = performance.now() + SECONDS * 1000;
      while (performance.now() < until) {
        const t = performance.now();
        const answer = model.run(RATE, ids, ones, audio, []);
        held.push(performance.now() - t);
        burn(5);
        await answer;
        trips.push(performance.now() - t);
      }
      rows.push({
        round: round + 1,
        policy: policy === 'other' ? 'default (SCHED_OTHER)' : 'SCHED_BATCH',
        runs: held.length,
        heldP50Ms: ms(held, 0.5, 3),
        heldP90Ms: ms(held, 0.9, 3),
        heldP99Ms: ms(held, 0.99, 3),
        roundTripP50Ms: ms(trips, 0.5, 2),
      });
    }
  }
  console.log(`VAD runs of ${STREAMS} windows at 8 kHz, both cores held by two busy processes`);
  console.table(rows);
} finally {
  await model.release();
  for (const h of hogs) h.kill();
}
