/**
 * PCM16 (signed 16-bit, little-endian, mono) helpers.
 *
 * Wire audio is always little-endian; these functions never depend on the host byte order and never
 * return a view that aliases the caller's memory (Node's Buffer pool would otherwise leak into results).
 */

/** Smallest PCM16 sample value. */
export const PCM16_MIN = -32768;

/** Largest PCM16 sample value. */
export const PCM16_MAX = 32767;

/** Bytes per PCM16 sample. */
export const PCM16_BYTES_PER_SAMPLE = 2;

// Scale by 2^15 (not 32767) so that Int16 -> Float32 -> Int16 is the identity for every sample.
const FLOAT_SCALE = 32768;

// Decided once: typed-array views use host order, so the fast paths are only valid on little-endian hosts.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decodes little-endian PCM16 bytes into a fresh Int16Array; accepts any byte offset (unaligned Buffers).
 * Throws RangeError on an odd byte length, since a split sample cannot be decoded on its own.
 */
export function bytesToPcm16(bytes: Uint8Array): Int16Array {
  if (bytes.byteLength % PCM16_BYTES_PER_SAMPLE !== 0) {
    throw new RangeError(`PCM16 byte length must be even, got ${bytes.byteLength}`);
  }
  const sampleCount = bytes.byteLength / PCM16_BYTES_PER_SAMPLE;
  if (HOST_IS_LITTLE_ENDIAN) {
    // Copy into a fresh, 2-byte-aligned ArrayBuffer, whatever the source offset was. Not bytes.slice():
    // on a Node Buffer that returns a view into the shared pool rather than a copy.
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    return new Int16Array(copy.buffer, 0, sampleCount);
  }
  const out = new Int16Array(sampleCount);
  for (let i = 0; i < sampleCount; i++) {
    const lo = bytes[2 * i] as number;
    const hi = bytes[2 * i + 1] as number;
    out[i] = (((hi << 8) | lo) << 16) >> 16;
  }
  return out;
}

/** Encodes PCM16 samples as little-endian bytes in a fresh Uint8Array. */
export function pcm16ToBytes(pcm: Int16Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) {
    return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength).slice();
  }
  const out = new Uint8Array(pcm.length * PCM16_BYTES_PER_SAMPLE);
  for (let i = 0; i < pcm.length; i++) {
    const s = pcm[i] as number;
    out[2 * i] = s & 0xff;
    out[2 * i + 1] = (s >> 8) & 0xff;
  }
  return out;
}

/** Converts one float sample (nominal range [-1, 1)) to PCM16: scaled by 32768, rounded, clamped; NaN -> 0. */
export function floatToPcm16Sample(x: number): number {
  const scaled = Math.round(x * FLOAT_SCALE);
  if (scaled > PCM16_MAX) return PCM16_MAX;
  if (scaled < PCM16_MIN) return PCM16_MIN;
  // `scaled || 0` turns NaN (and -0) into 0.
  return scaled || 0;
}

/** Converts float samples (nominal range [-1, 1)) to PCM16 with rounding and clamping. */
export function float32ToPcm16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    out[i] = floatToPcm16Sample(samples[i] as number);
  }
  return out;
}

/** Converts PCM16 samples to floats in [-1, 1) (divides by 32768, exact inverse of float32ToPcm16). */
export function pcm16ToFloat32(pcm: Int16Array): Float32Array {
  const out = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) {
    out[i] = (pcm[i] as number) / FLOAT_SCALE;
  }
  return out;
}
