import { describe, expect, it } from 'vitest';

import {
  alawToLinearSample,
  decodeAlaw,
  decodeMulaw,
  encodeAlaw,
  encodeMulaw,
  linearToAlawSample,
  linearToMulawSample,
  mulawToLinearSample,
} from '../../../src/audio/g711.js';

// Independent references, written from the G.711 segment tables rather than from src/audio/g711.ts.

/** μ-law decode, G.711 Table 2a: bits are inverted; value = ((2·mantissa + 33)·2^segment − 33), 14-bit, ×4. */
function refMulawDecode(code: number): number {
  const positive = (code & 0x80) !== 0;
  const segment = 7 - ((code >> 4) & 7);
  const mantissa = 15 - (code & 15);
  const magnitude = ((2 * mantissa + 33) * 2 ** segment - 33) * 4;
  return positive ? magnitude : -magnitude;
}

/** A-law decode, G.711 Table 1a: even bits inverted; segment 0 is linear, others double per segment; ×8. */
function refAlawDecode(code: number): number {
  const a = code ^ 0x55;
  const positive = (a & 0x80) !== 0;
  const segment = (a >> 4) & 7;
  const mantissa = a & 15;
  const magnitude = segment === 0 ? (2 * mantissa + 1) * 8 : (2 * mantissa + 33) * 8 * 2 ** (segment - 1);
  return positive ? magnitude : -magnitude;
}

/**
 * μ-law encode per ITU-T G.191 STL `ulaw_compress`, written as a threshold table: 14-bit magnitude
 * (one's complement for negatives) plus 33; segment k holds magnitudes below 64 << k.
 */
function refMulawEncode(sample: number): number {
  const m = Math.min(Math.floor((sample < 0 ? -sample - 1 : sample) / 4) + 33, 8191);
  let k = 0;
  while (k < 7 && m >= 64 << k) k++;
  const code = ((7 - k) << 4) | (15 - (Math.floor(m / 2 ** (k + 1)) % 16));
  return sample >= 0 ? code | 0x80 : code;
}

/** A-law encode in the ITU-T G.191 STL style: one's complement magnitude, shift-and-count segment search. */
function refAlawEncode(sample: number): number {
  let ix = sample < 0 ? ~sample >> 4 : sample >> 4;
  if (ix > 15) {
    let exponent = 1;
    while (ix > 16 + 15) {
      ix >>= 1;
      exponent++;
    }
    ix = ix - 16 + (exponent << 4);
  }
  if (sample >= 0) ix |= 0x80;
  return ix ^ 0x55;
}

const ALL_CODES = Uint8Array.from({ length: 256 }, (_, i) => i);
const ALL_SAMPLES = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);

describe('G.711 μ-law', () => {
  it('decodes known spec values', () => {
    const spots: Array<[number, number]> = [
      [0x00, -32124],
      [0x01, -31100],
      [0x0f, -16764],
      [0x10, -15996],
      [0x70, -120],
      [0x7e, -8],
      [0x7f, 0],
      [0x80, 32124],
      [0xf0, 120],
      [0xfe, 8],
      [0xff, 0],
    ];
    const decoded = decodeMulaw(Uint8Array.from(spots.map(([code]) => code)));
    expect(Array.from(decoded)).toEqual(spots.map(([, value]) => value));
  });

  it('decodes all 256 codes exactly like the segment formula', () => {
    const expected = Array.from(ALL_CODES, refMulawDecode).map((v) => v || 0);
    expect(Array.from(decodeMulaw(ALL_CODES))).toEqual(expected);
    expect(Array.from(ALL_CODES, mulawToLinearSample)).toEqual(expected);
  });

  it('encodes all 65536 linear values exactly like the reference encoder', () => {
    const encoded = encodeMulaw(ALL_SAMPLES);
    const mismatches: number[] = [];
    for (let i = 0; i < ALL_SAMPLES.length; i++) {
      const sample = ALL_SAMPLES[i] as number;
      if (encoded[i] !== refMulawEncode(sample) || linearToMulawSample(sample) !== encoded[i]) {
        mismatches.push(sample);
      }
    }
    expect(mismatches).toEqual([]);
    expect(Array.from(encodeMulaw(Int16Array.of(0, -1, 32767, -32768, 32635, -32635)))).toEqual([
      0xff, 0x7f, 0x80, 0x00, 0x80, 0x00,
    ]);
  });

  it('round-trips code -> linear -> code, with negative zero 0x7F normalised to 0xFF', () => {
    const roundTrip = encodeMulaw(decodeMulaw(ALL_CODES));
    const expected = Array.from(ALL_CODES, (code) => (code === 0x7f ? 0xff : code));
    expect(Array.from(roundTrip)).toEqual(expected);
  });

  it('is monotonic and within half a quantisation step of the input (plus clipping)', () => {
    const decoded = decodeMulaw(encodeMulaw(ALL_SAMPLES));
    const failures: number[] = [];
    for (let i = 0; i < decoded.length; i++) {
      const sample = ALL_SAMPLES[i] as number;
      const value = decoded[i] as number;
      if (i > 0 && value < (decoded[i - 1] as number)) failures.push(sample);
      // Segment e spans 8 << e linear units; magnitudes above 32635 are clipped to the top code (32124).
      const segment = 31 - Math.clz32(Math.min(Math.abs(sample), 32635) + 132) - 7;
      const allowed = Math.abs(sample) > 32635 ? Math.abs(sample) - 32124 : (8 << segment) / 2;
      if (Math.abs(value - sample) > allowed) failures.push(sample);
    }
    expect(failures).toEqual([]);
  });
});

describe('G.711 A-law', () => {
  it('decodes known spec values', () => {
    const spots: Array<[number, number]> = [
      [0x00, -5504],
      [0x01, -5248],
      [0x02, -6016],
      [0x2a, -32256],
      [0x55, -8],
      [0x54, -24],
      [0x80, 5504],
      [0xaa, 32256],
      [0xd5, 8],
      [0xd4, 24],
    ];
    const decoded = decodeAlaw(Uint8Array.from(spots.map(([code]) => code)));
    expect(Array.from(decoded)).toEqual(spots.map(([, value]) => value));
  });

  it('decodes all 256 codes exactly like the segment formula', () => {
    const expected = Array.from(ALL_CODES, refAlawDecode);
    expect(Array.from(decodeAlaw(ALL_CODES))).toEqual(expected);
    expect(Array.from(ALL_CODES, alawToLinearSample)).toEqual(expected);
  });

  it('encodes all 65536 linear values exactly like the reference encoder', () => {
    const encoded = encodeAlaw(ALL_SAMPLES);
    const mismatches: number[] = [];
    for (let i = 0; i < ALL_SAMPLES.length; i++) {
      const sample = ALL_SAMPLES[i] as number;
      if (encoded[i] !== refAlawEncode(sample) || linearToAlawSample(sample) !== encoded[i]) {
        mismatches.push(sample);
      }
    }
    expect(mismatches).toEqual([]);
    expect(Array.from(encodeAlaw(Int16Array.of(0, -1, -8, 7, 32767, -32768)))).toEqual([
      0xd5, 0x55, 0x55, 0xd5, 0xaa, 0x2a,
    ]);
  });

  it('round-trips code -> linear -> code for all 256 codes (A-law has no negative zero)', () => {
    expect(Array.from(encodeAlaw(decodeAlaw(ALL_CODES)))).toEqual(Array.from(ALL_CODES));
  });

  it('is monotonic', () => {
    const decoded = decodeAlaw(encodeAlaw(ALL_SAMPLES));
    const failures: number[] = [];
    for (let i = 1; i < decoded.length; i++) {
      if ((decoded[i] as number) < (decoded[i - 1] as number)) failures.push(i - 32768);
    }
    expect(failures).toEqual([]);
  });
});

describe('G.711 buffers', () => {
  it('handles empty input and subarray views', () => {
    expect(encodeMulaw(new Int16Array(0))).toHaveLength(0);
    expect(decodeAlaw(new Uint8Array(0))).toHaveLength(0);
    const backing = Int16Array.of(1, 1000, -1000, 5);
    expect(Array.from(encodeAlaw(backing.subarray(1, 3)))).toEqual([
      refAlawEncode(1000),
      refAlawEncode(-1000),
    ]);
  });
});
