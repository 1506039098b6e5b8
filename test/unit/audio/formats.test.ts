import { describe, expect, it } from 'vitest';

import {
  AUDIO_FORMATS,
  bytesPerMs,
  bytesToMs,
  decodeToPcm16,
  encodeFromPcm16,
  isAudioFormatType,
  msToBytes,
  samplesToMs,
} from '../../../src/audio/formats.js';
import type { AudioFormatType } from '../../../src/audio/formats.js';
import { decodeMulaw, encodeAlaw, encodeMulaw } from '../../../src/audio/g711.js';

const FORMATS: AudioFormatType[] = ['audio/pcm', 'audio/pcmu', 'audio/pcma'];

describe('audio formats', () => {
  it('describes the Realtime wire formats', () => {
    expect(AUDIO_FORMATS['audio/pcm']).toEqual({ sampleRate: 24000, bytesPerSample: 2 });
    expect(AUDIO_FORMATS['audio/pcmu']).toEqual({ sampleRate: 8000, bytesPerSample: 1 });
    expect(AUDIO_FORMATS['audio/pcma']).toEqual({ sampleRate: 8000, bytesPerSample: 1 });
    expect(FORMATS.map(bytesPerMs)).toEqual([48, 8, 8]);
    expect(Object.isFrozen(AUDIO_FORMATS)).toBe(true);
  });

  it('recognises format identifiers', () => {
    expect(FORMATS.every(isAudioFormatType)).toBe(true);
    for (const bad of [
      'audio/pcm16',
      'pcm16',
      'g711_ulaw',
      'toString',
      '__proto__',
      '',
      1,
      null,
      undefined,
    ]) {
      expect(isAudioFormatType(bad), String(bad)).toBe(false);
    }
  });

  it('converts between bytes and milliseconds', () => {
    expect(bytesToMs('audio/pcm', 960)).toBe(20);
    expect(bytesToMs('audio/pcm', 1)).toBeCloseTo(1 / 48, 12);
    expect(bytesToMs('audio/pcmu', 160)).toBe(20);
    expect(bytesToMs('audio/pcma', 4)).toBe(0.5);
    expect(msToBytes('audio/pcm', 20)).toBe(960);
    expect(msToBytes('audio/pcm', 100)).toBe(4800);
    expect(msToBytes('audio/pcmu', 20)).toBe(160);
    // Floors to whole samples: 0.05 ms at 24 kHz is 1.2 samples -> 1 sample -> 2 bytes.
    expect(msToBytes('audio/pcm', 0.05)).toBe(2);
    expect(msToBytes('audio/pcma', 0.1)).toBe(0);
    expect(msToBytes('audio/pcm', -5)).toBe(0);
    // 0.29 * 8000 / 1000 is 2.3199999999999994 in binary floating point, but 0.375 ms is exactly 3 samples.
    expect(msToBytes('audio/pcmu', 0.375)).toBe(3);
    expect(msToBytes('audio/pcmu', 0.29)).toBe(2);
    for (let samples = 0; samples < 2000; samples++) {
      expect(msToBytes('audio/pcm', samplesToMs(samples, 24000))).toBe(samples * 2);
      expect(msToBytes('audio/pcmu', samplesToMs(samples, 8000))).toBe(samples);
    }
  });

  it('decodes and encodes through the right codec', () => {
    const pcm = Int16Array.of(0, 1000, -1000, 32767, -32768);
    expect(encodeFromPcm16('audio/pcm', pcm)).toEqual(new Uint8Array(pcm.buffer.slice(0)));
    expect(decodeToPcm16('audio/pcm', encodeFromPcm16('audio/pcm', pcm))).toEqual(pcm);
    expect(encodeFromPcm16('audio/pcmu', pcm)).toEqual(encodeMulaw(pcm));
    expect(encodeFromPcm16('audio/pcma', pcm)).toEqual(encodeAlaw(pcm));
    const ulaw = encodeMulaw(pcm);
    expect(decodeToPcm16('audio/pcmu', ulaw)).toEqual(decodeMulaw(ulaw));
    expect(Array.from(decodeToPcm16('audio/pcma', Uint8Array.of(0xd5, 0x55)))).toEqual([8, -8]);
    expect(() => decodeToPcm16('audio/pcm', Uint8Array.of(1))).toThrow(RangeError);
  });

  it("decodes G.711 into a caller's array when it is long enough, and into a new one otherwise", () => {
    const ulaw = encodeMulaw(Int16Array.of(0, 1000, -1000));
    const into = new Int16Array(4).fill(7);
    const got = decodeToPcm16('audio/pcmu', ulaw, into);
    expect(got.buffer).toBe(into.buffer);
    expect(Array.from(got)).toEqual(Array.from(decodeMulaw(ulaw)));
    expect(into[3]).toBe(7);
    const alaw = Uint8Array.of(0xd5, 0x55);
    expect(decodeToPcm16('audio/pcma', alaw, into).buffer).toBe(into.buffer);
    expect(Array.from(into.subarray(0, 2))).toEqual([8, -8]);
    const short = new Int16Array(2);
    const fresh = decodeToPcm16('audio/pcmu', ulaw, short);
    expect(fresh.buffer).not.toBe(short.buffer);
    expect(Array.from(fresh)).toEqual(Array.from(decodeMulaw(ulaw)));
  });
});
