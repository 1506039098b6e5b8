/**
 * Capacity of one gateway process (flags: USAGE below, or `--help`).
 *
 * Three processes: the provider emulators (default latency profile) and the built gateway in cloud
 * mode pointed at them, each a child of this one, which runs the load: N sessions streaming real
 * speech in real time with a turn every 5 to 6 s (scripts/capacity/load.ts). N is raised step by
 * step, sessions kept from one step to the next; each step is measured over `--step-seconds` once
 * its new sessions have settled. Per step it prints the client-side end of speech to first audio
 * p50/p99 (and p99 added over the first step), the gateway's event-loop delay p99 (a preloaded
 * probe), how long the VAD's model runs were queued (its /metrics histogram), the gateway's CPU
 * ms per session-second of audio and RSS per session (from /proc), the errors, and the CPU of the
 * emulators and of the load, which share the two cores. It stops raising N once a step has errors
 * or its p99 has grown far past the target. Writes reports/capacity.json and reports/capacity.svg.
 */
import { readFileSync } from 'node:fs';
import { Args, cpuSplit, loadAverage, machine, sleep, startStack, writeReport } from './capacity/harness.js';
import type { CpuSplit } from './capacity/harness.js';
import type { GcSummary } from './capacity/processes.js';
import { formatLabel, latenciesIn } from './capacity/load.js';
import { cell, percentile, summarize } from './capacity/stats.js';
import type { Summary } from './capacity/stats.js';
import { STAGE_FIELDS, stageLatencies } from './capacity/stages.js';
import type { StageField } from './capacity/stages.js';
import { bucketQuantile, bucketsBetween, countOf, histogramOf } from './capacity/scrape.js';
import type { Buckets } from './capacity/scrape.js';
import { renderCapacityChart } from './capacity/svg-chart.js';

const USAGE = `usage: npm run bench:capacity -- [--steps 10,50,100,200,300,400] [--step-seconds 60]
  [--settle-seconds 8] [--ramp-per-second 25] [--format pcmu|pcm] [--all-steps] [--no-build]
  [--cpu-prof] [--stages] [--provider-tls] [--gateway-env K=V,...] [--gateway-node-flags 'flag=v ...'] [--gateway-log FILE]
  [--log-level warn] [--json reports/capacity.json] [--svg reports/capacity.svg]`;

const args = Args.parse(USAGE);
const STEPS = args
  .string('--steps', '10,50,100,200,300,400')
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
if (STEPS.length === 0) throw new Error('--steps needs a list of session counts, e.g. 10,50,100');
const STEP_SECONDS = args.number('--step-seconds', 60);
const FORMAT = args.format();
const ALL_STEPS = args.has('--all-steps');
const JSON_FILE = args.string('--json', 'reports/capacity.json');
const SVG_FILE = args.string('--svg', 'reports/capacity.svg');
/** New sessions per second while raising N: fast enough for a short ramp, slow enough to be gentle. */
const RAMP_PER_SECOND = args.number('--ramp-per-second', 25);
/** After a ramp, one turn period so every new session has had a turn before measuring. */
const SETTLE_SECONDS = args.number('--settle-seconds', 8);
const TURN_PERIOD_MS: [number, number] = [5_000, 6_000];
/**
 * `--stages`: the gateway logs each turn's split at info level, and each step also reports it per
 * stage (scripts/capacity/stages.ts). The logging costs the gateway a little CPU, so it is asked for.
 */
const STAGES = args.has('--stages');
const GATEWAY_LOG = args.has('--gateway-log')
  ? args.string('--gateway-log', '')
  : STAGES
    ? 'reports/capacity-gateway.log'
    : undefined;
const stackOptions = {
  format: FORMAT,
  build: !args.has('--no-build'),
  logLevel: args.string('--log-level', STAGES ? 'info' : 'warn'),
  nodeFlags: [
    ...(args.has('--cpu-prof') ? ['--cpu-prof', '--cpu-prof-dir=reports/cpu-prof'] : []),
    ...args.nodeFlags('--gateway-node-flags'),
  ],
  gatewayLog: GATEWAY_LOG,
  turnPeriodMs: TURN_PERIOD_MS,
  gatewayEnv: args.env('--gateway-env'),
  // `--provider-tls`: the emulators serve TLS, as the providers do (plain TCP by default).
  providerTls: args.has('--provider-tls'),
};
args.finish(USAGE);

/** The issue's targets. */
const TARGET_MIN_SESSIONS = 300;
const TARGET_ADDED_P99_MS = 50;
const TARGET_CPU_MS_PER_SESSION_S = 5;
/** Past this added p99 the gateway is plainly saturated: raising N further tells nothing new. */
const GIVE_UP_ADDED_P99_MS = 5 * TARGET_ADDED_P99_MS;

interface StepResult {
  sessions: number;
  turns: number;
  latencyMs: Summary;
  addedP99Ms: number | null;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** The event loop's busy share over the step, 0 to 1 (the load guard's measure). */
  eventLoopUtilization: number;
  /** The gateway's GCs over the step (promotion: what only full GCs free). */
  gc: GcSummary;
  gatewayCpuMsPerSessionS: number;
  cpu: CpuSplit;
  gatewayRssMiB: number;
  rssPerSessionMiB: number;
  emulatorsRssMiB: number;
  errors: number;
  /** Sessions the gateway turned away (a cap, or its load guard when a run turns it on). */
  refused: number;
  errorKinds: Record<string, number>;
  errorSamples: string[];
  cancelledResponses: number;
  appendLatenessMs: Summary;
  loadAverage: number[];
  windowSeconds: number;
  /** With `--stages`: the gateway's own split of its turns in the window, per stage. */
  stagesMs?: Record<StageField, Summary>;
  /**
   * The VAD's model runs in the window, from the gateway's `/metrics`: how long each run's oldest
   * window was queued (p50 and p99 estimated from the histogram's buckets, in ms).
   */
  vadRuns: { runs: number | null; queuedP50Ms: number | null; queuedP99Ms: number | null };
}

/** Seconds to ms, one decimal. */
const msOf = (s: number | null) => (s === null ? null : Math.round(s * 10_000) / 10);
const MiB = 2 ** 20;
const mib = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;

console.log(
  'Capacity benchmark: gateway (dist, cloud mode) + provider emulators as child processes, loopback, ' +
    `provider links over ${stackOptions.providerTls ? 'TLS' : 'plain TCP'}`,
);
console.log(
  `load: ${formatLabel(FORMAT)}, server_vad 500 ms, input transcription on, a turn every ` +
    `${TURN_PERIOD_MS[0] / 1000}-${TURN_PERIOD_MS[1] / 1000} s of real speech (20 ms appends in real time)`,
);
console.log(
  'emulators: default latency profile (STT final 150 ms, LLM first token 220 ms, TTS first audio 90 ms); ' +
    'TTS is espeak-ng with repeated sentences synthesized once',
);
console.log(
  `steps ${STEPS.join(', ')}; ${STEP_SECONDS} s measured per step after ${SETTLE_SECONDS} s settling`,
);
const m = machine();
console.log(
  `${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}; load average ${loadAverage().join(' ')}`,
);

const stack = await startStack(stackOptions);
const metricsUrl = stack.gateway.url.replace(/^ws/, 'http').replace(/\/v1\/realtime$/, '/metrics');
let metricsWarned = false;
/** The VAD's queue histogram (both sample rates); null, said once, when `/metrics` is closed to the benchmark. */
async function vadQueue(): Promise<Buckets | null> {
  const res = await fetch(metricsUrl);
  if (res.ok) return histogramOf(await res.text(), 'realtime_gateway_vad_queue_seconds');
  if (!metricsWarned) console.log(`(no VAD queue figures: /metrics answered ${res.status})`);
  metricsWarned = true;
  return null;
}
const idleRss = stack.gatewayRssBytes();
console.log(
  `gateway pid ${stack.gateway.pid}, idle RSS ${mib(idleRss)} MiB; emulators pid ${stack.emulators.pid}\n`,
);

const header =
  '| sessions | turns | p50 ms | p99 ms | p99 added ms | ELD p99 ms | VAD queue p50 / p99 ms | event loop busy | gw CPU ms/session-s | CPU cores gw / emu / load | RSS MiB | RSS/session MiB | GC ms/s · promoted MiB/s · full GCs | errors | append lateness p99 ms | load avg 1m |';
const row = (s: StepResult) =>
  `| ${s.sessions} | ${s.turns} | ${cell(s.latencyMs.p50)} | ${cell(s.latencyMs.p99)} | ${cell(s.addedP99Ms)} | ` +
  `${cell(s.eventLoopDelayMs.p99)} | ${cell(s.vadRuns.queuedP50Ms)} / ${cell(s.vadRuns.queuedP99Ms)} | ${s.eventLoopUtilization.toFixed(2)} | ${cell(s.gatewayCpuMsPerSessionS, 2)} | ` +
  `${s.cpu.gatewayCores.toFixed(2)} / ${s.cpu.emulatorsCores.toFixed(2)} / ${s.cpu.loadCores.toFixed(2)} | ` +
  `${s.gatewayRssMiB} | ${cell(s.rssPerSessionMiB, 2)} | ` +
  `${cell(s.gc.ms === null ? null : s.gc.ms / s.gc.seconds)} · ${cell(s.gc.promotedMiB / s.gc.seconds, 2)} · ${s.gc.fullGcs} | ${s.errors}${s.refused ? ` (${s.refused} refused)` : ''} | ${cell(s.appendLatenessMs.p99)} | ${s.loadAverage[0]} |`;
console.log(header);
console.log(
  `|${header
    .split('|')
    .slice(1, -1)
    .map(() => '---')
    .join('|')}|`,
);

const steps: StepResult[] = [];
let problemsSeen = 0;
const started = new Date();
try {
  for (const n of STEPS) {
    const more = n - stack.load.active;
    if (more > 0) await stack.load.addSessions(more, RAMP_PER_SECOND);
    await sleep(SETTLE_SECONDS * 1000);
    await stack.gateway.probe.resetEventLoopDelay();
    stack.load.lateness = [];
    const vadFrom = await vadQueue();
    const a = stack.cpu();
    const wallFrom = Date.now();
    await sleep(STEP_SECONDS * 1000);
    const b = stack.cpu();
    const vadTo = await vadQueue();
    const vad = vadFrom && vadTo ? bucketsBetween(vadFrom, vadTo) : null;
    const wallTo = Date.now();
    const eld = await stack.gateway.probe.eventLoopDelay();
    const rss = stack.gatewayRssBytes();
    const active = stack.load.active;
    const latencies = latenciesIn(stack.load.turns, a.at, b.at);
    const problems = stack.load.problems.slice(problemsSeen);
    problemsSeen = stack.load.problems.length;
    const kinds: Record<string, number> = {};
    for (const p of problems) kinds[p.kind] = (kinds[p.kind] ?? 0) + 1;
    const errors = problems.filter((p) => p.kind !== 'refused');
    const latency = summarize(latencies);
    const base = steps[0]?.latencyMs.p99 ?? latency.p99;
    const result: StepResult = {
      sessions: active,
      turns: latencies.length,
      latencyMs: latency,
      addedP99Ms: latency.p99 !== null && base !== null ? Math.round((latency.p99 - base) * 10) / 10 : null,
      eventLoopDelayMs: { p50: eld.p50, p99: eld.p99, max: eld.max },
      eventLoopUtilization: eld.utilization,
      gc: eld.gc,
      gatewayCpuMsPerSessionS:
        Math.round(((b.gatewayMs - a.gatewayMs) / (active * ((b.at - a.at) / 1000))) * 100) / 100,
      cpu: cpuSplit(a, b),
      gatewayRssMiB: mib(rss),
      rssPerSessionMiB: Math.round(((rss - idleRss) / MiB / active) * 100) / 100,
      emulatorsRssMiB: mib(stack.emulatorsRssBytes()),
      errors: errors.length,
      refused: kinds.refused ?? 0,
      errorKinds: kinds,
      errorSamples: errors.slice(0, 5).map((p) => `${p.kind}: ${p.detail}`),
      cancelledResponses: stack.load.cancelled,
      appendLatenessMs: summarize(stack.load.lateness),
      loadAverage: loadAverage(),
      windowSeconds: Math.round((b.at - a.at) / 100) / 10,
      vadRuns: {
        runs: vad ? countOf(vad) : null,
        queuedP50Ms: vad ? msOf(bucketQuantile(vad, 0.5)) : null,
        queuedP99Ms: vad ? msOf(bucketQuantile(vad, 0.99)) : null,
      },
      stagesMs:
        STAGES && GATEWAY_LOG
          ? stageLatencies(readFileSync(GATEWAY_LOG, 'utf8'), wallFrom, wallTo)
          : undefined,
    };
    steps.push(result);
    console.log(row(result));
    for (const sample of result.errorSamples) console.log(`    ${sample}`);
    const saturated = result.addedP99Ms !== null && result.addedP99Ms > GIVE_UP_ADDED_P99_MS;
    if (!ALL_STEPS && (result.errors > 0 || saturated)) {
      console.log(
        `  stopping: ${result.errors > 0 ? 'errors' : `p99 added over ${GIVE_UP_ADDED_P99_MS} ms`}`,
      );
      break;
    }
  }
} finally {
  await stack.stop();
}

if (STAGES) {
  console.log("\n== inside the gateway: each turn's split from its log, p50 / p99 ms ==");
  const names = ['end of speech to first audio', 'VAD wait', 'STT final', 'LLM first token', 'sentence wait'];
  console.log(`| sessions | turns | ${[...names, 'TTS first audio', 'gateway overhead'].join(' | ')} |`);
  console.log(`|${Array.from({ length: STAGE_FIELDS.length + 2 }, () => '---').join('|')}|`);
  for (const s of steps) {
    const st = s.stagesMs;
    if (!st) continue;
    const cells = STAGE_FIELDS.map((f) => `${cell(st[f].p50)} / ${cell(st[f].p99)}`);
    console.log(`| ${s.sessions} | ${st.vadWaitMs.n} | ${cells.join(' | ')} |`);
  }
}

const good = steps.filter(
  (s) => s.errors === 0 && s.addedP99Ms !== null && s.addedP99Ms <= TARGET_ADDED_P99_MS,
);
const capacity = good.length ? Math.max(...good.map((s) => s.sessions)) : 0;
const atCapacity = steps.find((s) => s.sessions === capacity);
const targets = [
  {
    target: `>= ${TARGET_MIN_SESSIONS} sessions with p99 added <= ${TARGET_ADDED_P99_MS} ms and no errors`,
    measured: `${capacity} sessions`,
    met: capacity >= TARGET_MIN_SESSIONS,
  },
  {
    target: `gateway CPU <= ${TARGET_CPU_MS_PER_SESSION_S} ms per session-second (at ${capacity} sessions)`,
    measured: atCapacity ? `${atCapacity.gatewayCpuMsPerSessionS} ms` : 'not measured',
    met: atCapacity ? atCapacity.gatewayCpuMsPerSessionS <= TARGET_CPU_MS_PER_SESSION_S : false,
  },
];
console.log('\n== targets ==');
for (const t of targets) console.log(`${t.target}: ${t.measured} -> ${t.met ? 'met' : 'NOT met'}`);
const cpuMedian = percentile(
  steps.map((s) => s.gatewayCpuMsPerSessionS),
  0.5,
);
console.log(`gateway CPU ms per session-second, median over steps: ${cell(cpuMedian, 2)}`);
console.log(`load average at the end: ${loadAverage().join(' ')}`);

writeReport(JSON_FILE, {
  generatedAt: started.toISOString(),
  machine: m,
  options: {
    steps: STEPS,
    stepSeconds: STEP_SECONDS,
    settleSeconds: SETTLE_SECONDS,
    format: formatLabel(FORMAT),
    turnPeriodMs: TURN_PERIOD_MS,
    gateway: `dist/src/main.js, GATEWAY_PROVIDERS=cloud on the emulators, LOG_LEVEL=${stackOptions.logLevel}`,
    gatewayEnv: args.string('--gateway-env', ''),
    gatewayNodeFlags: args.string('--gateway-node-flags', ''),
    providerTls: stackOptions.providerTls,
    emulators: 'default latency profile; espeak-ng TTS with repeated sentences synthesized once',
  },
  definitions: {
    latency:
      'client: append holding the last speech sample sent -> first response.output_audio.delta received',
    addedP99Ms: 'p99 at this step minus p99 at the first step',
    gatewayCpuMsPerSessionS: 'gateway utime+stime over the window / (sessions x window seconds)',
    rssPerSessionMiB: '(gateway RSS at the end of the step - idle RSS) / sessions',
    cpuCores: 'CPU time / wall time of the window, per process (gateway, emulators, load generator)',
  },
  idleGatewayRssMiB: mib(idleRss),
  steps,
  capacitySessions: capacity,
  targets,
  loadAverageAtEnd: loadAverage(),
});
const baseP99 = steps[0]?.latencyMs.p99 ?? null;
writeReport(
  SVG_FILE,
  renderCapacityChart(
    steps.map((s) => ({
      sessions: s.sessions,
      p50Ms: s.latencyMs.p50,
      p99Ms: s.latencyMs.p99,
      cpuMsPerSessionS: s.gatewayCpuMsPerSessionS,
    })),
    {
      title: `realtime-gateway capacity (${formatLabel(FORMAT)}, ${m.cpus} cores, ${started.toISOString().slice(0, 10)})`,
      latencyTarget:
        baseP99 !== null
          ? { ms: baseP99 + TARGET_ADDED_P99_MS, label: `baseline p99 + ${TARGET_ADDED_P99_MS} ms` }
          : undefined,
      cpuTarget: { ms: TARGET_CPU_MS_PER_SESSION_S, label: `target ${TARGET_CPU_MS_PER_SESSION_S} ms` },
    },
  ),
);
console.log(`figures written to ${JSON_FILE} and ${SVG_FILE}`);
