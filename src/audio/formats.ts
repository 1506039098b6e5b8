/**
 * The audio formats of the Realtime protocol and their byte/time arithmetic.
 */

import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw } from './g711.js';
import { bytesToPcm16, pcm16ToBytes } from './pcm16.js';

/** Audio format identifiers as they appear on the wire (`session.audio.*.format.type`). */
export type AudioFormatType = 'audio/pcm' | 'audio/pcmu' | 'audio/pcma';

/** Fixed properties of one wire format (always mono). */
export interface AudioFormatInfo {
  /** Samples per second, in Hz. */
  readonly sampleRate: number;
  /** Encoded bytes per sample. */
  readonly bytesPerSample: number;
}

/** Properties of every supported format: PCM16 LE at 24 kHz, and G.711 μ-law / A-law at 8 kHz. */
export const AUDIO_FORMATS: Readonly<Record<AudioFormatType, AudioFormatInfo>> = Object.freeze({
  'audio/pcm': Object.freeze({ sampleRate: 24000, bytesPerSample: 2 }),
  'audio/pcmu': Object.freeze({ sampleRate: 8000, bytesPerSample: 1 }),
  'audio/pcma': Object.freeze({ sampleRate: 8000, bytesPerSample: 1 }),
});

const MS_PER_SECOND = 1000;

// Absorbs binary floating-point error (e.g. 0.29 * 8000 / 1000) so an exact whole sample is not floored away.
const SAMPLE_COUNT_EPSILON = 1e-9;

/** True if the value is one of the supported format identifiers. */
export function isAudioFormatType(value: unknown): value is AudioFormatType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(AUDIO_FORMATS, value);
}

/** Encoded bytes per millisecond of audio (48 for audio/pcm, 8 for the G.711 formats). */
export function bytesPerMs(format: AudioFormatType): number {
  const { sampleRate, bytesPerSample } = AUDIO_FORMATS[format];
  return (sampleRate * bytesPerSample) / MS_PER_SECOND;
}

/** Duration in ms of `bytes` encoded bytes; fractional for partial milliseconds. */
export function bytesToMs(format: AudioFormatType, bytes: number): number {
  return bytes / bytesPerMs(format);
}

/** Encoded byte count of the whole samples that fit in `durationMs` (floored to a whole sample). */
export function msToBytes(format: AudioFormatType, durationMs: number): number {
  const { sampleRate, bytesPerSample } = AUDIO_FORMATS[format];
  const samples = Math.floor((durationMs * sampleRate) / MS_PER_SECOND + SAMPLE_COUNT_EPSILON);
  return Math.max(0, samples) * bytesPerSample;
}

/** Duration in ms of `sampleCount` samples at `sampleRate` Hz. */
export function samplesToMs(sampleCount: number, sampleRate: number): number {
  return (sampleCount * MS_PER_SECOND) / sampleRate;
}

/**
 * Decodes wire bytes to PCM16 samples at the format's own rate (24 kHz for audio/pcm, 8 kHz for G.711).
 * Throws RangeError for audio/pcm with an odd byte length. G.711 samples go into `into` when it is
 * long enough (the result is then a view of it, valid until the caller reuses it).
 */
export function decodeToPcm16(format: AudioFormatType, bytes: Uint8Array, into?: Int16Array): Int16Array {
  switch (format) {
    case 'audio/pcm':
      return bytesToPcm16(bytes);
    case 'audio/pcmu':
      return decodeMulaw(bytes, into);
    case 'audio/pcma':
      return decodeAlaw(bytes, into);
  }
}

/** Encodes PCM16 samples, already at the format's own rate, to wire bytes. */
export function encodeFromPcm16(format: AudioFormatType, pcm: Int16Array): Uint8Array {
  switch (format) {
    case 'audio/pcm':
      return pcm16ToBytes(pcm);
    case 'audio/pcmu':
      return encodeMulaw(pcm);
    case 'audio/pcma':
      return encodeAlaw(pcm);
  }
}
