/**
 * ITU-T G.711 μ-law and A-law codecs for 16-bit linear PCM, using lookup tables built once at load.
 *
 * Encoders follow the ITU-T G.191 reference software (STL `ulaw_compress` / `alaw_compress`), so
 * results are byte-exact with it; decoders are the G.711 tables:
 * - μ-law: one's complement 14-bit magnitude, bias 33, segment search, bits inverted. No "zero
 *   trap": 0x00 is a legal code. Both 0x7F and 0xFF decode to 0 and 0 encodes to 0xFF.
 * - A-law: input >> 3 (13 bits), one's complement for negatives (as in ITU-T G.191 STL), XOR 0x55.
 */

const ULAW_BIAS = 0x84;
/** G.191 `ulaw_compress`: bias and ceiling on the 14-bit magnitude scale. */
const ULAW_G191_BIAS = 33;
const ULAW_G191_MAX = 0x1fff;
const ALAW_XOR_MASK = 0x55;
const SIGN_BIT = 0x80;
const QUANT_MASK = 0x0f;
const SEG_SHIFT = 4;
const SEG_MASK = 0x70;

// Upper bound (inclusive) of each segment, on the scale each encoder searches.
const ALAW_SEGMENT_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function segmentOf(value: number, ends: readonly number[]): number {
  for (let seg = 0; seg < ends.length; seg++) {
    if (value <= (ends[seg] as number)) return seg;
  }
  return ends.length;
}

/**
 * Encodes one linear sample (-32768..32767) to a μ-law byte as the ITU-T G.191 reference software
 * (STL `ulaw_compress`) does: a 14-bit magnitude taken by one's complement for negatives, bias 33.
 * G.711 itself defines 14-bit input; this is how the ITU reference rounds 16-bit samples to it.
 */
export function linearToMulawSample(sample: number): number {
  let magnitude = ((sample < 0 ? ~sample : sample) >> 2) + ULAW_G191_BIAS;
  if (magnitude > ULAW_G191_MAX) magnitude = ULAW_G191_MAX;
  let seg = 1;
  for (let i = magnitude >> 6; i !== 0; i >>= 1) seg++;
  const code = ((8 - seg) << SEG_SHIFT) | (QUANT_MASK - ((magnitude >> seg) & QUANT_MASK));
  return sample >= 0 ? code | SIGN_BIT : code;
}

/** Decodes one μ-law byte to a linear sample with the reference algorithm (no table). */
export function mulawToLinearSample(code: number): number {
  const u = ~code & 0xff;
  const t = (((u & QUANT_MASK) << 3) + ULAW_BIAS) << ((u & SEG_MASK) >> SEG_SHIFT);
  return u & SIGN_BIT ? ULAW_BIAS - t : t - ULAW_BIAS;
}

/** Encodes one linear sample (-32768..32767) to an A-law byte with the reference algorithm (no table). */
export function linearToAlawSample(sample: number): number {
  let value = sample >> 3;
  let mask: number;
  if (value >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    value = -value - 1;
  }
  const seg = segmentOf(value, ALAW_SEGMENT_END);
  if (seg >= 8) return 0x7f ^ mask;
  const mantissa = seg < 2 ? (value >> 1) & QUANT_MASK : (value >> seg) & QUANT_MASK;
  return ((seg << SEG_SHIFT) | mantissa) ^ mask;
}

/** Decodes one A-law byte to a linear sample with the reference algorithm (no table). */
export function alawToLinearSample(code: number): number {
  const a = (code ^ ALAW_XOR_MASK) & 0xff;
  let t = (a & QUANT_MASK) << 4;
  const seg = (a & SEG_MASK) >> SEG_SHIFT;
  if (seg === 0) {
    t += 8;
  } else {
    t = (t + 0x108) << (seg - 1);
  }
  return a & SIGN_BIT ? t : -t;
}

function buildDecodeTable(decode: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = decode(code);
  return table;
}

// Indexed by the sample's 16-bit two's complement pattern (sample & 0xFFFF): 64 KiB each, one array read per sample.
function buildEncodeTable(encode: (sample: number) => number): Uint8Array {
  const table = new Uint8Array(65536);
  for (let sample = -32768; sample < 32768; sample++) table[sample & 0xffff] = encode(sample);
  return table;
}

const MULAW_DECODE = buildDecodeTable(mulawToLinearSample);
const ALAW_DECODE = buildDecodeTable(alawToLinearSample);
const MULAW_ENCODE = buildEncodeTable(linearToMulawSample);
const ALAW_ENCODE = buildEncodeTable(linearToAlawSample);

function encodeWith(table: Uint8Array, pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = table[(pcm[i] as number) & 0xffff] as number;
  return out;
}

function decodeWith(table: Int16Array, bytes: Uint8Array, into?: Int16Array): Int16Array {
  const out =
    into && into.length >= bytes.length ? into.subarray(0, bytes.length) : new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i] as number] as number;
  return out;
}

/** Encodes PCM16 samples to μ-law bytes (one byte per sample). */
export function encodeMulaw(pcm: Int16Array): Uint8Array {
  return encodeWith(MULAW_ENCODE, pcm);
}

/** Decodes μ-law bytes to PCM16 samples (one sample per byte). */
export function decodeMulaw(bytes: Uint8Array, into?: Int16Array): Int16Array {
  return decodeWith(MULAW_DECODE, bytes, into);
}

/** Encodes PCM16 samples to A-law bytes (one byte per sample). */
export function encodeAlaw(pcm: Int16Array): Uint8Array {
  return encodeWith(ALAW_ENCODE, pcm);
}

/** Decodes A-law bytes to PCM16 samples (one sample per byte). */
export function decodeAlaw(bytes: Uint8Array, into?: Int16Array): Int16Array {
  return decodeWith(ALAW_DECODE, bytes, into);
}
