/**
 * Streaming PCM16 resampler (tuned for 8, 16 and 24 kHz) built on a polyphase Kaiser-windowed-sinc FIR.
 *
 * A rational ratio to/from = L/M is realised as "upsample by L, low-pass, keep every M-th sample", with only
 * the non-zero taps ever computed (polyphase). Each phase is normalised to sum 1 so DC passes exactly.
 *
 * The filter is linear-phase and applied centred (zero-phase): output sample m sits exactly at input time
 * m·M/L, so whole-buffer output is time-aligned with its input. The price in streaming is lookahead: an output
 * is emitted only once `delayInputSamples` later input samples have arrived. That is the group delay:
 * 130 input samples (5.4 ms) for 24k->8k, 87 (5.4 ms) for 16k->8k, 44 (5.5 ms) for 8k->16k/24k,
 * 65 (2.7 ms) for 24k->16k, 44 (2.75 ms) for 16k->24k. flush() drains the held-back tail with zero padding.
 *
 * Output is a pure function of the whole input: any chunking of the same samples yields identical output,
 * and after flush() the total is floor(inputSamples · to / from) samples.
 */

import { besselI0, gcd, kaiserEstimate, windowedSinc } from './kaiser.js';

/** Stopband attenuation of the anti-alias / anti-image filter, in dB (passband ripple is about the same). */
export const RESAMPLER_STOPBAND_DB = 70;

/** Fraction of the lower Nyquist frequency kept flat; the stopband starts exactly at that Nyquist. */
export const RESAMPLER_PASSBAND_RATIO = 0.9;

/** A filter's design targets: the default is the module's constants (playback grade). */
export interface ResamplerQuality {
  /** Stopband attenuation in dB (the passband ripple is about the same). */
  stopbandDb: number;
  /** Fraction of the lower Nyquist frequency kept flat; the stopband starts at that Nyquist. */
  passbandRatio: number;
}

const DEFAULT_QUALITY: ResamplerQuality = {
  stopbandDb: RESAMPLER_STOPBAND_DB,
  passbandRatio: RESAMPLER_PASSBAND_RATIO,
};

// Bounds the polyphase table (L phases) and per-output cost (M); covers all 8/16/24/32/48 kHz pairs.
const MAX_RATIO_FACTOR = 64;

interface PolyphaseFilter {
  readonly up: number;
  readonly down: number;
  readonly halfTaps: number;
  readonly tapsPerPhase: number;
  readonly coefficients: Float64Array;
  /** Per phase, the first tap that is not one of the upsampled signal's zeros, and how many follow. */
  readonly firstTap: Int32Array;
  readonly liveTaps: Int32Array;
  /**
   * Every phase's live taps read the same backwards (the prototype is symmetric), so each output
   * can add the two samples a coefficient weighs before multiplying: half the multiplications.
   */
  readonly symmetric: boolean;
}

function designFilter(fromRate: number, toRate: number, quality: ResamplerQuality): PolyphaseFilter {
  const divisor = gcd(fromRate, toRate);
  const up = toRate / divisor;
  const down = fromRate / divisor;
  if (up > MAX_RATIO_FACTOR || down > MAX_RATIO_FACTOR) {
    throw new RangeError(`Unsupported resampling ratio ${fromRate} -> ${toRate} Hz`);
  }
  const prototypeRate = fromRate * up;
  const stopHz = Math.min(fromRate, toRate) / 2;
  const passHz = stopHz * quality.passbandRatio;
  const cutoff = (passHz + stopHz) / 2 / prototypeRate; // cycles per prototype sample
  const transition = (2 * Math.PI * (stopHz - passHz)) / prototypeRate; // rad per prototype sample
  const estimate = kaiserEstimate(quality.stopbandDb, transition);
  const length = Math.ceil(estimate.length) + 1;
  const beta = estimate.beta;
  // At least `down` taps each side keeps history trimming simple (the next output never skips past input).
  const halfTaps = Math.max(down, Math.ceil((length - 1) / 2 / up));
  const center = halfTaps * up;
  const prototype = new Float64Array(2 * center + 1);
  const windowNorm = besselI0(beta);
  for (let k = 0; k <= 2 * center; k++) {
    const x = k - center;
    prototype[k] = windowedSinc(cutoff, x, x / center, beta, windowNorm);
  }
  const tapsPerPhase = 2 * halfTaps + 1;
  const coefficients = new Float64Array(up * tapsPerPhase);
  for (let phase = 0; phase < up; phase++) {
    const taps = coefficients.subarray(phase * tapsPerPhase, (phase + 1) * tapsPerPhase);
    let sum = 0;
    for (let j = 0; j < tapsPerPhase; j++) {
      // Input q-halfTaps+j lies (phase + (halfTaps-j)·up) prototype samples before output time q·up+phase;
      // offset by `center` to index the prototype. Out-of-range indices are the zeros of the upsampled signal.
      const k = phase + 2 * center - j * up;
      const c = k <= 2 * center ? (prototype[k] as number) : 0;
      taps[j] = c;
      sum += c;
    }
    taps.forEach((c, j) => (taps[j] = c / sum));
  }
  const firstTap = new Int32Array(up);
  const liveTaps = new Int32Array(up);
  let symmetric = true;
  for (let phase = 0; phase < up; phase++) {
    const taps = coefficients.subarray(phase * tapsPerPhase, (phase + 1) * tapsPerPhase);
    let a = 0;
    let b = tapsPerPhase;
    while (a < b && taps[a] === 0) a++;
    while (b > a && taps[b - 1] === 0) b--;
    firstTap[phase] = a;
    liveTaps[phase] = b - a;
    for (let j = a, k = b - 1; j < k; j++, k--) if (taps[j] !== taps[k]) symmetric = false;
  }
  return { up, down, halfTaps, tapsPerPhase, coefficients, firstTap, liveTaps, symmetric };
}

const FILTER_CACHE = new Map<string, PolyphaseFilter>();

function filterFor(fromRate: number, toRate: number, quality: ResamplerQuality): PolyphaseFilter {
  const key = `${fromRate}:${toRate}:${quality.stopbandDb}:${quality.passbandRatio}`;
  let filter = FILTER_CACHE.get(key);
  if (filter === undefined) {
    filter = designFilter(fromRate, toRate, quality);
    FILTER_CACHE.set(key, filter);
  }
  return filter;
}

function checkRate(name: string, rate: number): void {
  if (!Number.isInteger(rate) || rate < 1000 || rate > 192000) {
    throw new RangeError(`${name} must be an integer number of Hz in [1000, 192000], got ${rate}`);
  }
}

function concat(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

const EMPTY = new Int16Array(0);

/** Total output samples for `inputSamples` input samples: floor(inputSamples · toRate / fromRate). */
export function resampledLength(inputSamples: number, fromRate: number, toRate: number): number {
  const divisor = gcd(fromRate, toRate);
  return Math.floor((inputSamples * (toRate / divisor)) / (fromRate / divisor));
}

/** Stateful PCM16 resampler whose output does not depend on how the input is split into chunks. */
export class StreamingResampler {
  /** Input rate in Hz. */
  readonly fromRate: number;
  /** Output rate in Hz. */
  readonly toRate: number;
  /** Lookahead (= group delay) in input samples; 0 for identity. */
  readonly delayInputSamples: number;
  /** Lookahead (= group delay) in milliseconds. */
  readonly delayMs: number;

  private readonly filter: PolyphaseFilter | null;
  // Input samples at absolute indices [historyStart, historyStart + history.length); negative = leading zeros.
  private history: Int16Array = EMPTY;
  private historyStart = 0;
  private inputCount = 0;
  private outputCount = 0;
  // The next output sits at prototype time center·up + phase, i.e. input time center + phase/up.
  private center = 0;
  private phase = 0;

  /**
   * Creates a resampler from `fromRate` Hz to `toRate` Hz (integer rates; identity when equal).
   * A lower `quality` means fewer taps: less CPU and lookahead.
   */
  constructor(fromRate: number, toRate: number, quality: ResamplerQuality = DEFAULT_QUALITY) {
    checkRate('fromRate', fromRate);
    checkRate('toRate', toRate);
    this.fromRate = fromRate;
    this.toRate = toRate;
    if (!(quality.stopbandDb >= 20 && quality.passbandRatio > 0 && quality.passbandRatio < 1))
      throw new RangeError('resampler quality: stopbandDb >= 20 and 0 < passbandRatio < 1 are required');
    this.filter = fromRate === toRate ? null : filterFor(fromRate, toRate, quality);
    this.delayInputSamples = this.filter?.halfTaps ?? 0;
    this.delayMs = (this.delayInputSamples * 1000) / fromRate;
    this.reset();
  }

  /** Feeds input samples; returns every output sample that is now fully determined (possibly none). */
  push(chunk: Int16Array): Int16Array {
    if (this.filter === null) return chunk.slice();
    this.inputCount += chunk.length;
    this.history = concat(this.history, chunk);
    return this.produce(this.filter, this.inputCount);
  }

  /** Ends the stream: pads with silence, returns the remaining output, and resets for a new stream. */
  flush(): Int16Array {
    if (this.filter === null) return EMPTY.slice();
    const end = this.historyStart + this.history.length;
    this.history = concat(this.history, new Int16Array(this.filter.halfTaps));
    const out = this.produce(this.filter, end + this.filter.halfTaps);
    this.reset();
    return out;
  }

  /** Drops all state and starts a new stream (as if newly constructed). */
  reset(): void {
    const halfTaps = this.filter?.halfTaps ?? 0;
    // Leading zeros stand in for the silence before the stream starts.
    this.history = new Int16Array(halfTaps);
    this.historyStart = -halfTaps;
    this.inputCount = 0;
    this.outputCount = 0;
    this.center = 0;
    this.phase = 0;
  }

  // Computes outputs whose whole filter window lies before `availableEnd` (absolute input index, exclusive),
  // never exceeding floor(inputCount·L/M) in total, then trims history to what the next output needs.
  private produce(filter: PolyphaseFilter, availableEnd: number): Int16Array {
    const { up, down, halfTaps, tapsPerPhase, coefficients, firstTap, liveTaps, symmetric } = filter;
    const lastCenter = availableEnd - 1 - halfTaps;
    const reachable = lastCenter >= 0 ? Math.ceil(((lastCenter + 1) * up) / down) : 0;
    const total = Math.min(reachable, Math.floor((this.inputCount * up) / down));
    const count = Math.max(0, total - this.outputCount);
    const out = new Int16Array(count);
    const history = this.history;
    let center = this.center;
    let phase = this.phase;
    for (let i = 0; i < count; i++) {
      const skip = firstTap[phase] as number;
      const n = liveTaps[phase] as number;
      const base = center - halfTaps - this.historyStart + skip;
      const offset = phase * tapsPerPhase + skip;
      let acc = 0;
      if (symmetric) {
        const half = n >> 1;
        for (let j = 0, k = base + n - 1; j < half; j++, k--)
          acc +=
            (coefficients[offset + j] as number) * ((history[base + j] as number) + (history[k] as number));
        if (n & 1) acc += (coefficients[offset + half] as number) * (history[base + half] as number);
      } else {
        for (let j = 0; j < n; j++)
          acc += (coefficients[offset + j] as number) * (history[base + j] as number);
      }
      const rounded = Math.round(acc);
      out[i] = rounded > 32767 ? 32767 : rounded < -32768 ? -32768 : rounded;
      phase += down;
      center += Math.floor(phase / up);
      phase %= up;
    }
    this.center = center;
    this.phase = phase;
    this.outputCount += count;
    const keepFrom = center - halfTaps;
    this.history = this.history.slice(keepFrom - this.historyStart);
    this.historyStart = keepFrom;
    return out;
  }
}

/** Resamples a whole buffer in one go (same result as push + flush on a fresh StreamingResampler). */
export function resamplePcm16(
  pcm: Int16Array,
  fromRate: number,
  toRate: number,
  quality: ResamplerQuality = DEFAULT_QUALITY,
): Int16Array {
  const resampler = new StreamingResampler(fromRate, toRate, quality);
  return concat(resampler.push(pcm), resampler.flush());
}
