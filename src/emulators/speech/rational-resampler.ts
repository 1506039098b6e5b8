/**
 * Whole-buffer PCM16 resampler for any rational rate ratio, such as espeak-ng's 22 050 Hz to
 * 24 000 Hz (160:147) or 8 000 Hz (160:441), which `audio/resampler.ts` does not cover (it bounds
 * both ratio terms at 64 to keep its streaming tables small).
 *
 * A Kaiser-windowed sinc evaluated in polyphase form: output m sits at input time m·M/L, and its
 * L possible sub-sample offsets each get a precomputed tap set, normalised to sum 1 so DC passes
 * exactly. The cut-off is the lower of the two Nyquist rates, with the same 70 dB stopband and 90 %
 * passband as the streaming resampler. Each synthesized sentence is converted whole, so there is
 * no streaming state: the edges are padded with silence, which is what surrounds a sentence.
 */
import { besselI0, gcd, kaiserEstimate, windowedSinc } from '../../audio/kaiser.js';

/** Stopband attenuation in dB (the passband ripple is about the same). */
export const SPEECH_RESAMPLER_STOPBAND_DB = 70;
/** Fraction of the lower Nyquist frequency kept flat. */
const PASSBAND_RATIO = 0.9;
/** Bounds the polyphase table (L rows): 22 050 to 48 000 Hz needs 320. */
const MAX_PHASES = 1024;

interface Filter {
  readonly up: number;
  readonly down: number;
  /** Taps on each side of the output's input time. */
  readonly half: number;
  /** `up` rows of `2·half` taps; row p serves outputs whose input time is n0 + p/up. */
  readonly taps: Float64Array;
}

function design(fromRate: number, toRate: number): Filter {
  const g = gcd(fromRate, toRate);
  const up = toRate / g;
  const down = fromRate / g;
  if (up > MAX_PHASES) throw new RangeError(`Unsupported resampling ratio ${fromRate} -> ${toRate} Hz`);
  const stopHz = Math.min(fromRate, toRate) / 2;
  const passHz = stopHz * PASSBAND_RATIO;
  const cutoff = (passHz + stopHz) / 2 / fromRate; // cycles per input sample
  const transition = (2 * Math.PI * (stopHz - passHz)) / fromRate; // rad per input sample
  const { length, beta } = kaiserEstimate(SPEECH_RESAMPLER_STOPBAND_DB, transition);
  const half = Math.ceil(length / 2);
  const norm = besselI0(beta);
  const taps = new Float64Array(up * 2 * half);
  for (let p = 0; p < up; p++) {
    const row = taps.subarray(p * 2 * half, (p + 1) * 2 * half);
    let sum = 0;
    for (let j = 0; j < 2 * half; j++) {
      // Tap j weighs input n0 + j - half + 1, which lies `tau` input samples before the output.
      const tau = p / up - (j - half + 1);
      const r = tau / half;
      const c = Math.abs(r) >= 1 ? 0 : windowedSinc(cutoff, tau, r, beta, norm);
      row[j] = c;
      sum += c;
    }
    for (let j = 0; j < row.length; j++) row[j] = (row[j] as number) / sum;
  }
  return { up, down, half, taps };
}

const FILTERS = new Map<string, Filter>();

/** Resamples a whole PCM16 buffer; the output has floor(n · toRate / fromRate) samples. */
export function resampleRational(pcm: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (fromRate === toRate) return pcm.slice();
  const key = `${fromRate}:${toRate}`;
  let f = FILTERS.get(key);
  if (!f) FILTERS.set(key, (f = design(fromRate, toRate)));
  const { up, down, half, taps } = f;
  const width = 2 * half;
  const outLength = Math.floor((pcm.length * up) / down);
  const out = new Int16Array(outLength);
  const n = pcm.length;
  for (let m = 0; m < outLength; m++) {
    const pos = m * down;
    const n0 = Math.floor(pos / up);
    const p = pos - n0 * up;
    const row = p * width;
    const first = n0 - half + 1;
    let acc = 0;
    if (first >= 0 && first + width <= n) {
      for (let j = 0; j < width; j++) acc += (pcm[first + j] as number) * (taps[row + j] as number);
    } else {
      for (let j = 0; j < width; j++) {
        const i = first + j;
        if (i >= 0 && i < n) acc += (pcm[i] as number) * (taps[row + j] as number);
      }
    }
    out[m] = acc > 32767 ? 32767 : acc < -32768 ? -32768 : Math.round(acc);
  }
  return out;
}
