/**
 * The capacity benchmarks' pure helpers (scripts/capacity/): percentiles, /proc parsing and the SVG
 * chart. The benchmarks themselves are not part of `npm test`; these keep their arithmetic honest.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Args } from '../../scripts/capacity/harness.js';
import { cpuMsOf, parseCpuMs, parseRssBytes, treeOf } from '../../scripts/capacity/procfs.js';
import { bucketQuantile, bucketsBetween, countOf, histogramOf } from '../../scripts/capacity/scrape.js';
import { stageLatencies } from '../../scripts/capacity/stages.js';
import { percentile, relativeChange, summarize } from '../../scripts/capacity/stats.js';
import { niceStep, renderCapacityChart } from '../../scripts/capacity/svg-chart.js';
import { GatewayMetrics } from '../../src/server/metrics.js';

describe('capacity stats', () => {
  it('interpolates percentiles between closest ranks', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.99)).toBeCloseTo(10.9);
    expect(() => percentile([1], 1.5)).toThrow(RangeError);
  });

  it('summarizes a series and a relative change', () => {
    const xs = Array.from({ length: 101 }, (_, i) => i);
    expect(summarize(xs)).toEqual({ n: 101, p50: 50, p99: 99, max: 100 });
    expect(relativeChange(200, 210)).toBeCloseTo(0.05);
    expect(relativeChange(0, 10)).toBeNull();
  });
});

describe('benchmark flags', () => {
  it('reads values and bare flags, and names the flags the script never asked about', () => {
    const args = new Args([
      '--steps',
      '10,50',
      '--no-build',
      '--step-secs',
      '30',
      '--gateway-env',
      'A=1,B=x=y',
    ]);
    expect(args.string('--steps', '')).toBe('10,50');
    expect(args.has('--no-build')).toBe(true);
    expect(args.number('--step-seconds', 60)).toBe(60);
    expect(args.env('--gateway-env')).toEqual({ A: '1', B: 'x=y' });
    // A misspelt flag would otherwise leave a long run on its default.
    expect(args.unknown()).toEqual(['--step-secs']);
    expect(() => new Args(['--steps', '--no-build']).string('--steps', '')).toThrow('--steps needs a value');
    // A stray value, and a value given to a bare flag, are not taken silently.
    const stray = new Args(['--sessions', '100', '200', '--no-build', 'true']);
    expect(stray.number('--sessions', 1)).toBe(100);
    expect(stray.has('--no-build')).toBe(true);
    expect(stray.unknown()).toEqual(['200', 'true']);
    expect(new Args(['--call-minutes', '0']).number('--call-minutes', 3, { orZero: true })).toBe(0);
    expect(() => new Args(['--sessions', '0']).number('--sessions', 1)).toThrow('positive number');
  });
});

describe('stage latencies from the gateway log', () => {
  it('summarizes the turn latency lines inside the window and skips everything else', () => {
    const line = (time: string, vadWaitMs: number, msg = 'turn latency') =>
      JSON.stringify({ level: 'info', time, msg, sessionId: 's', vadWaitMs, gatewayOverheadMs: 1.5 });
    const log = [
      line('2026-12-02T17:00:00.000Z', 100), // before the window
      line('2026-12-02T17:00:01.000Z', 500),
      JSON.stringify({ level: 'info', time: '2026-12-02T17:00:01.500Z', msg: 'llm served', vadWaitMs: 9 }),
      line('2026-12-02T17:00:02.000Z', 520),
      line('2026-12-02T17:00:05.000Z', 900), // at the window's end: outside
      '{"level":"info","time":"2026-12-02T17:00:02.500Z","msg":"turn latency","vadW', // cut short
    ].join('\n');
    const from = Date.parse('2026-12-02T17:00:01.000Z');
    const stages = stageLatencies(log, from, from + 4_000);
    expect(stages.vadWaitMs).toEqual({ n: 2, p50: 510, p99: 519.8, max: 520 });
    expect(stages.gatewayOverheadMs.n).toBe(2);
    expect(stages.sttFinalMs).toEqual({ n: 0, p50: null, p99: null, max: null });
  });
});

describe('a histogram from /metrics', () => {
  const run = (sampleRate: number, queuedMs: number) => ({ sampleRate, windows: 10, queuedMs });
  const VAD_QUEUE = 'realtime_gateway_vad_queue_seconds';

  it('differences two reads of one series and estimates quantiles inside the buckets', async () => {
    const m = new GatewayMetrics({ processMetrics: false });
    m.vadRun(run(8000, 500)); // before the window: not counted
    m.vadRun(run(16000, 1)); // another rate: not counted
    const before = histogramOf((await m.render()).body, VAD_QUEUE, { sample_rate_hz: '8000' });
    expect(countOf(before)).toBe(1);
    // 98 runs between 20 and 35 ms, one at 40 ms, one past every bucket.
    for (let i = 0; i < 98; i++) m.vadRun(run(8000, 30));
    m.vadRun(run(8000, 40));
    m.vadRun(run(8000, 12_000));
    const window = bucketsBetween(
      before,
      histogramOf((await m.render()).body, VAD_QUEUE, { sample_rate_hz: '8000' }),
    );
    expect(countOf(window)).toBe(100);
    expect(window.sum).toBeCloseTo(98 * 0.03 + 0.04 + 12);
    // Rank 50 of the 98 in (0.02, 0.035]: 0.02 + 0.015 * 50 / 98.
    expect(bucketQuantile(window, 0.5)).toBeCloseTo(0.02 + (0.015 * 50) / 98);
    // Rank 99 is the 40 ms run, alone in (0.035, 0.05].
    expect(bucketQuantile(window, 0.99)).toBeCloseTo(0.05);
    // The last rank is in +Inf: the highest finite bound is all the buckets can say.
    expect(bucketQuantile(window, 1)).toBe(10);
    expect(bucketQuantile(bucketsBetween(before, before), 0.5)).toBeNull();
  });

  it('sums the series that have the labels asked for, and ignores metrics that share the prefix', () => {
    const text = [
      '# HELP x_seconds a',
      'x_seconds_bucket{le="0.1",rate="8000"} 3',
      'x_seconds_bucket{le="+Inf",rate="8000"} 4',
      'x_seconds_sum{rate="8000"} 0.7',
      'x_seconds_bucket{le="0.1",rate="16000"} 1',
      'x_seconds_bucket{le="+Inf",rate="16000"} 5',
      'x_seconds_sum{rate="16000"} 2',
      'x_seconds_total 9',
    ].join('\n');
    const at8k = histogramOf(text, 'x_seconds', { rate: '8000' });
    expect([...at8k.counts]).toEqual([
      [0.1, 3],
      [Infinity, 4],
    ]);
    expect(at8k.sum).toBe(0.7);
    const both = histogramOf(text, 'x_seconds');
    expect([...both.counts]).toEqual([
      [0.1, 4],
      [Infinity, 9],
    ]);
    expect(both.sum).toBe(2.7);
  });
});

describe('procfs parsing', () => {
  it('reads utime + stime past a command name with spaces and parentheses', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 1000';
    expect(parseCpuMs(stat, 100)).toBe(3000);
  });

  it('reads VmRSS in bytes', () => {
    expect(parseRssBytes('Name:\tnode\nVmRSS:\t  153600 kB\nThreads:\t11\n')).toBe(153600 * 1024);
    expect(() => parseRssBytes('Name:\tnode\n')).toThrow();
  });
});

describe('process trees', () => {
  it('counts a child process (the gateway’s Silero model) with its parent', async () => {
    // The child spins until it has used 300 ms of CPU (however busy the machine), says so, and waits.
    const child = spawn(
      process.execPath,
      ['-e', 'while (process.cpuUsage().user < 300000); console.log("done"); setTimeout(() => {}, 10000)'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      await once(child.stdout, 'data');
      expect(treeOf(process.pid)).toContain(child.pid);
      // The child's 300 ms are in the parent's sum (10 ms ticks).
      expect(cpuMsOf(process.pid) - cpuMsOf(process.pid, { alone: true })).toBeGreaterThanOrEqual(280);
    } finally {
      child.kill();
      await once(child, 'exit');
    }
  });
});

describe('capacity chart', () => {
  it('picks round axis steps', () => {
    expect(niceStep(100)).toBe(20);
    expect(niceStep(7)).toBe(2);
    expect(niceStep(0)).toBe(1);
  });

  it('draws one point per step and series, and escapes text', () => {
    const svg = renderCapacityChart(
      [
        { sessions: 10, p50Ms: 580, p99Ms: 650, cpuMsPerSessionS: 9 },
        { sessions: 100, p50Ms: 600, p99Ms: 700, cpuMsPerSessionS: 4 },
        { sessions: 200, p50Ms: null, p99Ms: null, cpuMsPerSessionS: 3.5 },
      ],
      { title: 'a < b & c', cpuTarget: { ms: 5, label: 'target 5 ms' } },
    );
    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('a &lt; b &amp; c');
    // p50 and p99 at two steps, CPU at three.
    expect(svg.match(/<circle /g)).toHaveLength(7);
    expect(svg.match(/<polyline /g)).toHaveLength(3);
  });
});
