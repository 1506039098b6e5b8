import { describe, expect, it } from 'vitest';

import { StreamingResampler, resamplePcm16, resampledLength } from '../../../src/audio/resampler.js';
import { VAD_RESAMPLER_QUALITY } from '../../../src/session/server-vad.js';

const DIRECTIONS: Array<[number, number]> = [
  [24000, 8000],
  [8000, 24000],
  [24000, 16000],
  [16000, 24000],
  [16000, 8000],
  [8000, 16000],
];
const AMPLITUDE = 16384;

/** Deterministic pseudo-random generator (LCG) so every run pushes the same chunks. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function tone(rate: number, hz: number, samples: number, amplitude = AMPLITUDE): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate)),
  );
}

/** Tones plus noise, with full-scale bursts so clamping is exercised too. */
function testSignal(rate: number, samples: number): Int16Array {
  const random = lcg(rate);
  return Int16Array.from({ length: samples }, (_, i) => {
    const t = i / rate;
    const burst = Math.floor(t * 10) % 4 === 3 ? (i % 50 < 25 ? 32767 : -32768) : 0;
    const value = 9000 * Math.sin(2 * Math.PI * 440 * t) + 6000 * Math.sin(2 * Math.PI * 2900 * t);
    return burst || Math.round(value + 4000 * (random() - 0.5));
  });
}

function runChunked(from: number, to: number, input: Int16Array, sizes: () => number): Int16Array {
  const resampler = new StreamingResampler(from, to);
  const parts: number[] = [];
  for (let start = 0; start < input.length;) {
    const size = Math.min(sizes(), input.length - start);
    parts.push(...resampler.push(input.subarray(start, start + size)));
    start += size;
  }
  parts.push(...resampler.flush());
  return Int16Array.from(parts);
}

/** SNR in dB of `actual` against a pure tone at the output rate, ignoring 20 ms at each edge. */
function toneSnrDb(actual: Int16Array, rate: number, hz: number): number {
  const edge = rate / 50;
  let signal = 0;
  let noise = 0;
  for (let i = edge; i < actual.length - edge; i++) {
    const want = AMPLITUDE * Math.sin((2 * Math.PI * hz * i) / rate);
    signal += want * want;
    noise += ((actual[i] as number) - want) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

function rmsDbc(actual: Int16Array, rate: number): number {
  const edge = rate / 50;
  const middle = actual.subarray(edge, actual.length - edge);
  const power = middle.reduce((sum, v) => sum + v * v, 0) / middle.length;
  return 10 * Math.log10(Math.max(power, 1e-12) / ((AMPLITUDE * AMPLITUDE) / 2));
}

describe('StreamingResampler', () => {
  describe.each(DIRECTIONS)('%i Hz -> %i Hz', (from, to) => {
    const input = testSignal(from, Math.round(from * 0.25) + 7);
    const whole = resamplePcm16(input, from, to);

    it('produces identical output for any chunking', () => {
      const random = lcg(from + to);
      const chunkings: Array<[string, () => number]> = [
        ['1-sample', () => 1],
        ['odd 7', () => 7],
        ['20 ms', () => from / 50],
        ['random 0..997', () => Math.floor(random() * 998)],
        ['random 1..3', () => 1 + Math.floor(random() * 3)],
      ];
      for (const [name, sizes] of chunkings) {
        expect(runChunked(from, to, input, sizes), name).toEqual(whole);
      }
    });

    it('outputs exactly floor(n * to / from) samples, with reuse after flush', () => {
      const resampler = new StreamingResampler(from, to);
      for (const n of [0, 1, 2, 3, 4, 5, 7, 10, 11, 131, 1000, 2001]) {
        const expected = Math.floor((n * to) / from);
        expect(resampledLength(n, from, to)).toBe(expected);
        expect(resamplePcm16(input.subarray(0, n), from, to)).toHaveLength(expected);
        const streamed = resampler.push(input.subarray(0, n)).length + resampler.flush().length;
        expect(streamed, `n=${n}`).toBe(expected);
      }
      const again = new StreamingResampler(from, to);
      again.push(input.subarray(0, 333));
      again.flush();
      expect(Int16Array.from([...again.push(input), ...again.flush()])).toEqual(whole);
    });

    it('emits each output as soon as its lookahead (the documented group delay) has arrived', () => {
      const resampler = new StreamingResampler(from, to);
      const delay = resampler.delayInputSamples;
      expect(resampler.delayMs).toBeLessThanOrEqual(6);
      let emitted = 0;
      for (let n = 1; n <= 3 * delay; n++) {
        emitted += resampler.push(input.subarray(n - 1, n)).length;
        const ready = Math.max(0, Math.ceil(((n - delay) * to) / from));
        expect(emitted, `after ${n} samples`).toBe(Math.min(ready, Math.floor((n * to) / from)));
      }
    });

    it('preserves passband tones (SNR > 65 dB up to 0.85 x the lower Nyquist)', () => {
      const lowNyquist = Math.min(from, to) / 2;
      for (const hz of [1000, 0.85 * lowNyquist]) {
        const out = resamplePcm16(tone(from, hz, from / 4), from, to);
        expect(toneSnrDb(out, to, hz), `${hz} Hz`).toBeGreaterThan(65);
      }
    });

    it('passes DC with unity gain', () => {
      const out = resamplePcm16(new Int16Array(from / 10).fill(-12345), from, to);
      const middle = out.subarray(to / 100, out.length - to / 100);
      expect(middle.every((v) => v === -12345)).toBe(true);
    });

    it('clamps overshoot instead of wrapping around', () => {
      const square = Int16Array.from({ length: from / 10 }, (_, i) =>
        i % (from / 100) < from / 200 ? 32767 : -32768,
      );
      const out = resamplePcm16(square, from, to);
      const period = to / 100;
      for (let i = period; i < out.length - period; i += period) {
        expect(out[i + period / 4], `plateau at ${i}`).toBeGreaterThan(30000);
        expect(out[i + (3 * period) / 4]).toBeLessThan(-30000);
      }
    });
  });

  it.each(DIRECTIONS.filter(([from, to]) => to < from))(
    'attenuates tones above the target Nyquist by > 70 dB (%i -> %i)',
    (from, to) => {
      for (const ratio of [1.1, 1.25, 1.5]) {
        const out = resamplePcm16(tone(from, ratio * (to / 2), from / 4), from, to);
        expect(rmsDbc(out, to), `${ratio} x Nyquist`).toBeLessThan(-70);
      }
    },
  );

  it.each(DIRECTIONS.filter(([from, to]) => to > from))(
    'suppresses upsampling images by > 70 dB (%i -> %i)',
    (from, to) => {
      const hz = 0.8 * (from / 2);
      const out = resamplePcm16(tone(from, hz, from / 2), from, to);
      // The ideal output is the tone itself, so everything else (mostly the image at from - hz) is error.
      expect(toneSnrDb(out, to, hz)).toBeGreaterThan(70);
    },
  );

  it('passes audio through unchanged (as a copy) when the rates are equal', () => {
    for (const rate of [8000, 16000, 24000]) {
      const resampler = new StreamingResampler(rate, rate);
      const input = testSignal(rate, 1234);
      const out = resampler.push(input);
      expect(out).toEqual(input);
      expect(out).not.toBe(input);
      expect(resampler.flush()).toHaveLength(0);
      expect(resampler.delayMs).toBe(0);
      expect(resamplePcm16(input, rate, rate)).toEqual(input);
    }
  });

  it('rejects unusable rates', () => {
    expect(() => new StreamingResampler(0, 8000)).toThrow(RangeError);
    expect(() => new StreamingResampler(8000, 8000.5)).toThrow(RangeError);
    expect(() => new StreamingResampler(44100, 48000)).toThrow(RangeError);
    expect(() => new StreamingResampler(48000, 16000)).not.toThrow();
  });

  describe('at the VAD quality (24 kHz input to the 16 kHz VAD)', () => {
    const run = (input: Int16Array) => {
      const r = new StreamingResampler(24_000, 16_000, VAD_RESAMPLER_QUALITY);
      const a = r.push(input);
      const b = r.flush();
      const out = new Int16Array(a.length + b.length);
      out.set(a);
      out.set(b, a.length);
      return { out, delayMs: r.delayMs };
    };

    it('keeps speech-band tones (SNR > 40 dB up to 0.6 x the 8 kHz Nyquist) with less lookahead', () => {
      // 40 dB here is an error under 1 % of the tone: nothing to a VAD.
      for (const hz of [300, 1000, 2000, 3000, 4000, 4800])
        expect(toneSnrDb(run(tone(24_000, hz, 6_000)).out, 16_000, hz)).toBeGreaterThan(40);
      expect(run(new Int16Array(0)).delayMs).toBeLessThan(new StreamingResampler(24_000, 16_000).delayMs / 4);
    });

    it('attenuates tones above the 8 kHz Nyquist by > 45 dB', () => {
      for (const hz of [8_800, 10_000, 11_000])
        expect(rmsDbc(run(tone(24_000, hz, 6_000)).out, 16_000)).toBeLessThan(-45);
    });

    it('rejects a quality that designs no filter', () => {
      expect(() => new StreamingResampler(24_000, 16_000, { stopbandDb: 10, passbandRatio: 0.8 })).toThrow(
        RangeError,
      );
      expect(() => new StreamingResampler(24_000, 16_000, { stopbandDb: 60, passbandRatio: 1 })).toThrow(
        RangeError,
      );
    });
  });
});
