import { describe, expect, it } from 'vitest';

import {
  PCM16_MAX,
  PCM16_MIN,
  bytesToPcm16,
  float32ToPcm16,
  floatToPcm16Sample,
  pcm16ToBytes,
  pcm16ToFloat32,
} from '../../../src/audio/pcm16.js';

/** Exact comparison without vitest's per-element deep-equality cost on 65536-sample arrays. */
function mismatches(a: Int16Array, b: Int16Array): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let count = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) count++;
  return count;
}

describe('bytesToPcm16 / pcm16ToBytes', () => {
  it('decodes little-endian regardless of host order', () => {
    const bytes = Uint8Array.of(0x01, 0x00, 0xff, 0xff, 0x00, 0x80, 0xff, 0x7f, 0x34, 0x12);
    expect(Array.from(bytesToPcm16(bytes))).toEqual([1, -1, -32768, 32767, 0x1234]);
  });

  it('handles odd byte offsets (unaligned Buffer slices) and does not alias the input', () => {
    const backing = Buffer.from([0xaa, 0x02, 0x01, 0xfe, 0xff]);
    const view = backing.subarray(1); // byteOffset 1: an Int16Array view would throw here
    const pcm = bytesToPcm16(view);
    expect(Array.from(pcm)).toEqual([0x0102, -2]);
    backing[1] = 0;
    expect(pcm[0]).toBe(0x0102);
  });

  it('rejects an odd byte length', () => {
    expect(() => bytesToPcm16(Uint8Array.of(1, 2, 3))).toThrow(RangeError);
    expect(bytesToPcm16(new Uint8Array(0))).toHaveLength(0);
  });

  it('encodes little-endian and round-trips every sample value', () => {
    expect(Array.from(pcm16ToBytes(Int16Array.of(0x1234, -2)))).toEqual([0x34, 0x12, 0xfe, 0xff]);
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    const bytes = pcm16ToBytes(all);
    expect(bytes.byteLength).toBe(131072);
    expect(mismatches(bytesToPcm16(bytes), all)).toBe(0);
  });

  it('encodes a subarray view without leaking neighbouring samples', () => {
    const backing = Int16Array.of(7, 0x0102, 9);
    expect(Array.from(pcm16ToBytes(backing.subarray(1, 2)))).toEqual([0x02, 0x01]);
  });
});

describe('float <-> PCM16', () => {
  it('scales by 32768, rounds and clamps', () => {
    expect(floatToPcm16Sample(0)).toBe(0);
    expect(floatToPcm16Sample(-1)).toBe(PCM16_MIN);
    expect(floatToPcm16Sample(1)).toBe(PCM16_MAX);
    expect(floatToPcm16Sample(2.5)).toBe(PCM16_MAX);
    expect(floatToPcm16Sample(-7)).toBe(PCM16_MIN);
    expect(floatToPcm16Sample(0.5)).toBe(16384);
    expect(floatToPcm16Sample(Number.NaN)).toBe(0);
    expect(Object.is(floatToPcm16Sample(-1e-9), 0)).toBe(true);
    expect(Array.from(float32ToPcm16(Float32Array.of(0.25, -0.25, 3)))).toEqual([8192, -8192, 32767]);
  });

  it('round-trips every PCM16 value through Float32 exactly', () => {
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    const floats = pcm16ToFloat32(all);
    expect(floats[0]).toBe(-1);
    expect(Math.max(...floats)).toBeLessThan(1);
    expect(mismatches(float32ToPcm16(floats), all)).toBe(0);
  });
});
