/**
 * Quality and speed of src/audio/resampler.ts against the wave-resampler package.
 *
 *   npx tsx scripts/bench-resampler.ts [--json FILE] [--quick]
 *
 * Quality: a 2 s log sine sweep (50 Hz -> 0.45 · min(rate), amplitude 0.5 FS) is generated as PCM16 at the
 * input rate, resampled, and compared with the same sweep computed analytically at the output rate
 * (SNR in dB, first/last 50 ms excluded for every method alike). Our resampler is zero-phase (time-aligned)
 * offline, so no delay compensation is needed. wave-resampler maps output i to input i·(N−1)/outLen rather than
 * i·from/to, a slight time stretch; "SNR own grid" compares it against the sweep sampled on that grid, i.e.
 * with the stretch forgiven, so the table separates filter error from timing error.
 * Aliasing (downsampling): a tone at 1.25 × output Nyquist cannot be represented; everything the resampler
 * outputs is folded energy, reported relative to the tone (dBc). Imaging (upsampling): a tone at
 * 0.8 × input Nyquist; level of its image at (inputRate − f) in the output, from an exact 1 s DFT bin.
 * Speed: median of several runs over 5 s of audio, one-shot and in 20 ms chunks. wave-resampler is not
 * streaming, so it is called once per chunk: "20ms-chunked SNR" is the sweep processed that way, and
 * "chunked vs one-shot" is the SNR of that output against the same method's one-shot output, i.e. the
 * error that chunk boundaries alone introduce (filter restarts and per-chunk time stretch).
 */

import { writeFileSync } from 'node:fs';
import waveResampler from 'wave-resampler';

import { StreamingResampler, resamplePcm16 } from '../src/audio/resampler.js';

type Method = 'ours' | 'wave-sinc' | 'wave-cubic' | 'wave-linear';

interface Row {
  from: number;
  to: number;
  method: Method;
  outputSamples: number;
  expectedSamples: number;
  snrDb: number;
  snrOwnGridDb: number;
  aliasDbc: number | null;
  streamSnrDb: number;
  /** null when the chunked output is identical to the one-shot output. */
  chunkingErrorDb: number | null;
  oneShotXRealtime: number;
  oneShotNsPerSample: number;
  streamXRealtime: number;
  streamNsPerSample: number;
}

const PAIRS: Array<[number, number]> = [
  [24000, 8000],
  [8000, 24000],
  [24000, 16000],
  [16000, 24000],
  [16000, 8000],
  [8000, 16000],
];
const METHODS: Method[] = ['ours', 'wave-sinc', 'wave-cubic', 'wave-linear'];
const AMPLITUDE = 16384;
const SWEEP_MS = 2000;
const SWEEP_START_HZ = 50;
const EDGE_MS = 50;
const SPEED_MS = 5000;
const CHUNK_MS = 20;

const args = process.argv.slice(2);
const jsonIndex = args.indexOf('--json');
const jsonFile = jsonIndex >= 0 ? args[jsonIndex + 1] : undefined;
const runs = args.includes('--quick') ? 3 : 7;

function clampRound(x: number): number {
  const r = Math.round(x);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

/** Log sweep value at time tSec (analytic phase of f(t) = f0 · k^(t/T)). */
function sweepAt(tSec: number, endHz: number): number {
  const durationSec = SWEEP_MS / 1000;
  const k = endHz / SWEEP_START_HZ;
  const phase =
    ((2 * Math.PI * SWEEP_START_HZ * durationSec) / Math.log(k)) * (k ** (tSec / durationSec) - 1);
  return AMPLITUDE * Math.sin(phase);
}

function sweep(rate: number, endHz: number): Int16Array {
  const n = (rate * SWEEP_MS) / 1000;
  return Int16Array.from({ length: n }, (_, i) => clampRound(sweepAt(i / rate, endHz)));
}

function tone(rate: number, hz: number, ms: number): Int16Array {
  const n = (rate * ms) / 1000;
  return Int16Array.from({ length: n }, (_, i) =>
    clampRound(AMPLITUDE * Math.sin((2 * Math.PI * hz * i) / rate)),
  );
}

function waveResample(input: Int16Array, from: number, to: number, method: Method): Int16Array {
  const wrMethod = method.replace('wave-', '');
  // Copy: wave-resampler filters its input array in place when downsampling.
  const out = waveResampler.resample(Float64Array.from(input), from, to, { method: wrMethod });
  return Int16Array.from(out, clampRound);
}

function oneShot(input: Int16Array, from: number, to: number, method: Method): Int16Array {
  return method === 'ours' ? resamplePcm16(input, from, to) : waveResample(input, from, to, method);
}

function streamed(input: Int16Array, from: number, to: number, method: Method): Int16Array {
  const chunk = (from * CHUNK_MS) / 1000;
  const parts: Int16Array[] = [];
  const resampler = method === 'ours' ? new StreamingResampler(from, to) : null;
  for (let start = 0; start < input.length; start += chunk) {
    const piece = input.subarray(start, start + chunk);
    parts.push(resampler ? resampler.push(piece) : waveResample(piece, from, to, method));
  }
  if (resampler) parts.push(resampler.flush());
  const out = new Int16Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** SNR of `actual` against ideal(i) over the sweep minus its edges. */
function snrDb(actual: Int16Array, rate: number, ideal: (i: number) => number): number {
  const edge = (rate * EDGE_MS) / 1000;
  const end = Math.min(actual.length, (rate * SWEEP_MS) / 1000) - edge;
  let signal = 0;
  let noise = 0;
  for (let i = edge; i < end; i++) {
    const want = ideal(i);
    signal += want * want;
    noise += ((actual[i] as number) - want) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

/** Alias (downsampling) or image (upsampling) level in dBc; null when the output is all zeros. */
function aliasDbc(from: number, to: number, method: Method): number | null {
  const ms = 1500;
  if (to < from) {
    const output = oneShot(tone(from, 1.25 * (to / 2), ms), from, to, method);
    const window = output.subarray(to / 4, to / 4 + to);
    const power = window.reduce((sum, v) => sum + v * v, 0) / window.length;
    return power === 0 ? null : 10 * Math.log10(power / (AMPLITUDE * AMPLITUDE * 0.5));
  }
  const hz = 0.8 * (from / 2);
  const output = oneShot(tone(from, hz, ms), from, to, method);
  const imageHz = from - hz;
  let re = 0;
  let im = 0;
  for (let i = 0; i < to; i++) {
    const v = output[to / 4 + i] as number;
    re += v * Math.cos((2 * Math.PI * imageHz * i) / to);
    im += v * Math.sin((2 * Math.PI * imageHz * i) / to);
  }
  const amplitude = (2 * Math.hypot(re, im)) / to;
  if (amplitude === 0) return null;
  return 20 * Math.log10(amplitude / AMPLITUDE);
}

function sameSamples(a: Int16Array, b: Int16Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function medianMs(fn: () => void): number {
  fn(); // warm-up (JIT, filter design cache)
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

function measure(from: number, to: number, method: Method): Row {
  const endHz = 0.45 * Math.min(from, to);
  const input = sweep(from, endHz);
  const output = oneShot(input, from, to, method);
  const nominal = (i: number): number => sweepAt(i / to, endHz);
  // wave-resampler's own time grid: output i sits at input index i·(N−1)/outLen.
  const gridStep = method === 'ours' ? from / to : (input.length - 1) / output.length;
  const ownGrid = (i: number): number => sweepAt((i * gridStep) / from, endHz);
  const chunked = streamed(input, from, to, method);
  const speedInput = Int16Array.from(
    { length: (from * SPEED_MS) / 1000 },
    (_, i) => input[i % input.length] as number,
  );
  const oneShotMs = medianMs(() => oneShot(speedInput, from, to, method));
  const streamMs = medianMs(() => streamed(speedInput, from, to, method));
  return {
    from,
    to,
    method,
    outputSamples: output.length,
    expectedSamples: (input.length * to) / from,
    snrDb: snrDb(output, to, nominal),
    snrOwnGridDb: snrDb(output, to, ownGrid),
    aliasDbc: aliasDbc(from, to, method),
    streamSnrDb: snrDb(chunked, to, nominal),
    chunkingErrorDb: sameSamples(chunked, output) ? null : snrDb(chunked, to, (i) => output[i] as number),
    oneShotXRealtime: SPEED_MS / oneShotMs,
    oneShotNsPerSample: (oneShotMs * 1e6) / speedInput.length,
    streamXRealtime: SPEED_MS / streamMs,
    streamNsPerSample: (streamMs * 1e6) / speedInput.length,
  };
}

const COLUMNS: Array<[string, (r: Row) => string]> = [
  ['direction', (r) => `${r.from / 1000}k->${r.to / 1000}k`],
  ['method', (r) => r.method],
  ['out/expected', (r) => `${r.outputSamples}/${r.expectedSamples}`],
  ['SNR dB', (r) => r.snrDb.toFixed(1)],
  ['SNR own grid', (r) => r.snrOwnGridDb.toFixed(1)],
  ['alias/image dBc', (r) => (r.aliasDbc === null ? 'all 0' : r.aliasDbc.toFixed(1))],
  ['20ms-chunked SNR dB', (r) => r.streamSnrDb.toFixed(1)],
  [
    'chunked vs one-shot dB',
    (r) => (r.chunkingErrorDb === null ? 'identical' : r.chunkingErrorDb.toFixed(1)),
  ],
  ['one-shot xRT', (r) => r.oneShotXRealtime.toFixed(0)],
  ['ns/in-sample', (r) => r.oneShotNsPerSample.toFixed(0)],
  ['20ms-stream xRT', (r) => r.streamXRealtime.toFixed(0)],
  ['ns/in-sample ', (r) => r.streamNsPerSample.toFixed(0)],
];

const rows: Row[] = [];
for (const [from, to] of PAIRS) {
  for (const method of METHODS) rows.push(measure(from, to, method));
}

const cells = rows.map((r) => COLUMNS.map(([, f]) => f(r)));
const widths = COLUMNS.map(([title], c) =>
  Math.max(title.length, ...cells.map((row) => (row[c] as string).length)),
);
const line = (values: string[]): string =>
  `| ${values.map((v, c) => v.padEnd(widths[c] as number)).join(' | ')} |`;
console.log(line(COLUMNS.map(([title]) => title)));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of cells) console.log(line(row));
const delays = PAIRS.map(([from, to]) => {
  const r = new StreamingResampler(from, to);
  return `${from / 1000}k->${to / 1000}k ${r.delayInputSamples} samples (${r.delayMs.toFixed(2)} ms)`;
});
console.log(`\nours: lookahead/group delay ${delays.join(', ')}`);
console.log(
  `node ${process.version}, ${runs} timed runs (median) over ${SPEED_MS / 1000} s of audio per cell`,
);

if (jsonFile !== undefined) {
  writeFileSync(jsonFile, `${JSON.stringify({ node: process.version, runs, rows }, null, 2)}\n`);
  console.log(`wrote ${jsonFile}`);
}
