/**
 * Soak of one gateway process (flags: USAGE below, or `--help`).
 *
 * The same three processes and load as bench:capacity (scripts/capacity/), at a fixed number of
 * sessions for a long time. Samples the gateway's RSS every 10 s and compares the end with the
 * first minute (flat within 10 %); before the sessions open and after they have all closed it asks
 * the gateway (its preloaded probe) for its active handles, which must not have grown. Also prints
 * the turns' latency, errors and the CPU split per minute, and where the gateway's memory is (its own
 * RSS, V8 heap in use and held, external and ArrayBuffer bytes). `--heap-snapshots DIR` writes a
 * heap snapshot of the gateway after the first minute and at the end, to compare by constructor
 * (scripts/heap-diff.ts); each one pauses the gateway and leaves V8 holding more pages, so RSS
 * after the first is not comparable. Writes reports/soak.json.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Args, cpuSplit, loadAverage, machine, sleep, startStack, writeReport } from './capacity/harness.js';
import { formatLabel, latenciesIn } from './capacity/load.js';
import { relativeChange, summarize } from './capacity/stats.js';

const USAGE = `usage: npm run bench:soak -- [--sessions 100] [--minutes 10] [--format pcmu|pcm] [--no-build]
  [--call-minutes 0] [--gc-each-minute] [--provider-tls] [--retained-audio-bytes 262144] [--heap-snapshots DIR] [--gateway-env K=V,...]
  [--gateway-node-flags 'flag=v ...'] [--gateway-log FILE] [--log-level warn] [--json reports/soak.json]`;

const args = Args.parse(USAGE);
const SESSIONS = args.number('--sessions', 100);
const MINUTES = args.number('--minutes', 10);
const FORMAT = args.format();
const JSON_FILE = args.string('--json', 'reports/soak.json');
/**
 * The gateway's audio budget per session (MAX_RETAINED_AUDIO_BYTES) for the soak: 256 KiB, about
 * 30 s of G.711, is full within the first minute, so growth after it is a leak, not the budget
 * filling (the default 16 MiB takes half an hour of turns to fill). `--retained-audio-bytes` to change.
 */
const RETAINED_AUDIO_BYTES = args.number('--retained-audio-bytes', 262_144);
/**
 * Mean call length: each session hangs up between turns after 0.5 to 1.5 times this and a new one
 * takes its place, so the run also opens and closes sessions under load. 0: every session lasts
 * the whole run, and its conversation grows all the while.
 */
const CALL_MINUTES = args.number('--call-minutes', 0, { orZero: true });
/** Where heap snapshots go ('' for none). */
const SNAPSHOT_DIR = args.string('--heap-snapshots', '');
/** RSS sampling interval. */
const SAMPLE_MS = 10_000;
/** RSS is compared from here on: the first minute holds start-up and warm-up growth. */
const REFERENCE_MS = 60_000;
/** The issue's target: RSS at the end within 10 % of RSS at one minute. */
const TARGET_RSS_DRIFT = 0.1;
/** After the last session closes: idle keep-alive sockets to the providers time out (undici: 4 s). */
const QUIET_AFTER_CLOSE_MS = 15_000;
const RAMP_PER_SECOND = 25;
const TURN_PERIOD_MS: [number, number] = [5_000, 6_000];
const stackOptions = {
  format: FORMAT,
  build: !args.has('--no-build'),
  logLevel: args.string('--log-level', 'warn'),
  // A full GC before each minute's memory reading shows live heap rather than garbage; it pauses
  // the gateway once a minute, so it is asked for, not the default.
  nodeFlags: [
    ...(args.has('--gc-each-minute') ? ['--expose-gc'] : []),
    // `--gateway-node-flags max-old-space-size=128`.
    ...args.nodeFlags('--gateway-node-flags'),
  ],
  gatewayEnv: { MAX_RETAINED_AUDIO_BYTES: String(RETAINED_AUDIO_BYTES), ...args.env('--gateway-env') },
  gatewayLog: args.has('--gateway-log') ? args.string('--gateway-log', '') : undefined,
  turnPeriodMs: TURN_PERIOD_MS,
  callMs: CALL_MINUTES * 60_000,
  // `--provider-tls`: the emulators serve TLS, as the providers do (plain TCP by default).
  providerTls: args.has('--provider-tls'),
};
args.finish(USAGE);
if (SNAPSHOT_DIR) mkdirSync(SNAPSHOT_DIR, { recursive: true });

const MiB = 2 ** 20;
const mib = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;

const m = machine();
console.log(
  `Soak: ${SESSIONS} sessions for ${MINUTES} min, ${formatLabel(FORMAT)}, a turn every 5-6 s, ` +
    `${CALL_MINUTES > 0 ? `calls of ${CALL_MINUTES} min on average (then a new session)` : 'sessions lasting the whole run'}; ` +
    `provider links over ${stackOptions.providerTls ? 'TLS' : 'plain TCP'}; ` +
    `gateway (dist, cloud mode, MAX_RETAINED_AUDIO_BYTES=${RETAINED_AUDIO_BYTES}) and emulators as child processes`,
);
console.log(`${m.cpus} CPUs (${m.cpuModel}), Node ${m.node}; load average ${loadAverage().join(' ')}`);

const stack = await startStack(stackOptions);
const started = new Date();
const samples: { atS: number; gatewayRssMiB: number; sessions: number }[] = [];
const minutes: object[] = [];
let handlesBefore: Record<string, number> = {};
let handlesAfter: Record<string, number> = {};
let problemsCount = 0;
let rssIdleMiB = 0;
const snapshots: string[] = [];
const snapshot = async (name: string) => {
  if (!SNAPSHOT_DIR) return;
  const file = await stack.gateway.probe.heapSnapshot(resolve(SNAPSHOT_DIR, `${name}.heapsnapshot`));
  snapshots.push(file);
  console.log(`heap snapshot: ${file}`);
};
try {
  handlesBefore = await stack.gateway.probe.activeHandles();
  rssIdleMiB = mib(stack.gatewayRssBytes());
  console.log(`gateway idle: RSS ${rssIdleMiB} MiB, handles ${JSON.stringify(handlesBefore)}`);
  const t0 = performance.now();
  await stack.load.addSessions(SESSIONS, RAMP_PER_SECOND);
  let minuteStart = stack.cpu();
  let minute = 0;
  const end = t0 + MINUTES * 60_000;
  while (performance.now() < end) {
    await sleep(Math.min(SAMPLE_MS, end - performance.now()));
    const atS = Math.round((performance.now() - t0) / 1000);
    samples.push({ atS, gatewayRssMiB: mib(stack.gatewayRssBytes()), sessions: stack.load.active });
    if (performance.now() - minuteStart.at >= 59_000 || performance.now() >= end) {
      const now = stack.cpu();
      const lat = summarize(latenciesIn(stack.load.turns, minuteStart.at, now.at));
      const split = cpuSplit(minuteStart, now);
      const errors = stack.load.problems.length - problemsCount;
      problemsCount = stack.load.problems.length;
      const rss = samples[samples.length - 1]!.gatewayRssMiB;
      const memory = await stack.gateway.probe.memory();
      const active = stack.load.active;
      const cpuPerSessionS =
        Math.round(
          ((now.gatewayMs - minuteStart.gatewayMs) / (active * ((now.at - minuteStart.at) / 1000))) * 100,
        ) / 100;
      minute++;
      minutes.push({
        minute,
        sessions: active,
        turns: lat.n,
        latencyMs: lat,
        gatewayCpuMsPerSessionS: cpuPerSessionS,
        cpu: split,
        gatewayRssMiB: rss,
        memory,
        errors,
        loadAverage: loadAverage(),
      });
      console.log(
        `min ${String(minute).padStart(2)}: ${active} sessions, ${lat.n} turns, p50 ${lat.p50} p99 ${lat.p99} ms, ` +
          `gateway ${cpuPerSessionS} ms/session-s, cores gw/emu/load ${split.gatewayCores}/${split.emulatorsCores}/` +
          `${split.loadCores}, RSS ${rss} MiB (gateway ${memory.rssMiB}, heap used/held ${memory.heapUsedMiB}/` +
          `${memory.heapTotalMiB}, external ${memory.externalMiB}, array buffers ${memory.arrayBuffersMiB}), ` +
          `errors ${errors}, load avg ${loadAverage()[0]}`,
      );
      if (minute === 1) await snapshot('minute-1');
      minuteStart = stack.cpu();
    }
  }
  await snapshot('end');
  await stack.load.closeAll();
  await sleep(QUIET_AFTER_CLOSE_MS);
  handlesAfter = await stack.gateway.probe.activeHandles();
} finally {
  await stack.stop();
}

const reference = samples.find((s) => s.atS >= REFERENCE_MS / 1000) ?? samples[0];
const last = samples[samples.length - 1];
const drift = reference && last ? relativeChange(reference.gatewayRssMiB, last.gatewayRssMiB) : null;
const grown = Object.entries(handlesAfter)
  .filter(([type, n]) => n > (handlesBefore[type] ?? 0))
  .map(([type, n]) => `${type} ${handlesBefore[type] ?? 0} -> ${n}`);
const all = summarize(latenciesIn(stack.load.turns, 0, Infinity));
const rssMax = Math.max(...samples.map((s) => s.gatewayRssMiB));
// Whether RSS still climbs at the end, whatever the warm-up did: the second half's samples, the
// first of them against the highest.
const secondHalf = samples.filter((s) => s.atS >= (MINUTES * 60) / 2).map((s) => s.gatewayRssMiB);
const secondHalfRise = secondHalf.length > 1 ? relativeChange(secondHalf[0]!, Math.max(...secondHalf)) : null;
console.log('\n== soak ==');
console.log(
  `turns ${all.n}, end of speech -> first audio p50 ${all.p50} p99 ${all.p99} max ${all.max} ms; ` +
    `errors ${stack.load.problems.length}, responses cancelled ${stack.load.cancelled}, ` +
    `calls hung up and followed by a new one ${stack.load.callsEnded}`,
);
for (const p of stack.load.problems.slice(0, 5)) console.log(`  ${p.kind}: ${p.detail}`);
console.log(
  `gateway RSS: idle ${rssIdleMiB} MiB, at ${reference?.atS} s ${reference?.gatewayRssMiB} MiB, at the end ` +
    `(${last?.atS} s) ${last?.gatewayRssMiB} MiB, max ${rssMax} MiB: drift ${
      drift === null ? '–' : `${(drift * 100).toFixed(1)} %`
    } -> ${drift !== null && Math.abs(drift) <= TARGET_RSS_DRIFT ? 'flat within 10 %' : 'NOT flat within 10 %'}`,
);
console.log(
  `gateway RSS over the second half: ${secondHalf.length ? `${Math.min(...secondHalf)} to ${Math.max(...secondHalf)} MiB` : '–'}` +
    `, highest ${secondHalfRise === null ? '–' : `${(secondHalfRise * 100).toFixed(1)} %`} over its first sample`,
);
console.log(`handles before the sessions: ${JSON.stringify(handlesBefore)}`);
console.log(`handles after they closed:   ${JSON.stringify(handlesAfter)}`);
console.log(grown.length ? `handles grew: ${grown.join(', ')} -> LEAK` : 'no leaked handles');
console.log(`RSS samples (s: MiB): ${samples.map((s) => `${s.atS}: ${s.gatewayRssMiB}`).join(', ')}`);
console.log(`load average at the end: ${loadAverage().join(' ')}`);

writeReport(JSON_FILE, {
  generatedAt: started.toISOString(),
  machine: m,
  options: {
    sessions: SESSIONS,
    callMinutes: CALL_MINUTES,
    minutes: MINUTES,
    format: formatLabel(FORMAT),
    turnPeriodMs: TURN_PERIOD_MS,
    maxRetainedAudioBytes: RETAINED_AUDIO_BYTES,
    gatewayNodeFlags: args.string('--gateway-node-flags', ''),
    gatewayEnv: args.string('--gateway-env', ''),
    gcEachMinute: args.has('--gc-each-minute'),
    providerTls: stackOptions.providerTls,
  },
  latencyMs: all,
  errors: stack.load.problems.length,
  errorSamples: stack.load.problems.slice(0, 20),
  cancelledResponses: stack.load.cancelled,
  callsEnded: stack.load.callsEnded,
  rss: {
    idleMiB: rssIdleMiB,
    referenceAtS: reference?.atS,
    referenceMiB: reference?.gatewayRssMiB,
    endMiB: last?.gatewayRssMiB,
    maxMiB: rssMax,
    drift,
    flatWithin10Percent: drift !== null && Math.abs(drift) <= TARGET_RSS_DRIFT,
    secondHalfMiB: secondHalf.length ? { min: Math.min(...secondHalf), max: Math.max(...secondHalf) } : null,
    secondHalfRise,
  },
  handles: { before: handlesBefore, after: handlesAfter, grown },
  heapSnapshots: snapshots,
  minutes,
  samples,
  loadAverageAtEnd: loadAverage(),
});
console.log(`figures written to ${JSON_FILE}`);
