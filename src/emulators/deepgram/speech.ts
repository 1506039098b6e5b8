/**
 * The emulator's ears: raw audio in one of Deepgram's raw encodings, decoded to PCM16 and cut into
 * 10 ms frames, each judged speech or silence by a fixed energy threshold. Deterministic by design:
 * the same bytes always give the same frames, however they are split into WebSocket messages.
 */
import { decodeAlaw, decodeMulaw } from '../../audio/g711.js';
import { PCM16_BYTES_PER_SAMPLE, bytesToPcm16 } from '../../audio/pcm16.js';

/** The raw encodings the emulator can decode (Deepgram's `encoding` query values). */
export type RawEncoding = 'linear16' | 'mulaw' | 'alaw';

/** True for an `encoding` value the emulator decodes. */
export function isRawEncoding(value: string | null): value is RawEncoding {
  return value === 'linear16' || value === 'mulaw' || value === 'alaw';
}

/** Frame length of the speech detector: fine enough for Deepgram's 10 ms default endpointing. */
export const FRAME_MS = 10;

/**
 * RMS (on the PCM16 scale, full scale 32768) at or above which a frame is speech: about -36 dBFS.
 * Well above digital silence and the G.711 idle codes (which decode to 0 or +-8), well below
 * conversational speech (-30 to -10 dBFS), so a tone burst or a synthesized voice always counts.
 */
export const SPEECH_RMS_THRESHOLD = 500;

/** Bytes per sample of an encoding. */
export function bytesPerSample(encoding: RawEncoding): number {
  return encoding === 'linear16' ? PCM16_BYTES_PER_SAMPLE : 1;
}

/** Decodes whole samples of `encoding` to PCM16. */
export function decodeSamples(encoding: RawEncoding, bytes: Uint8Array): Int16Array {
  if (encoding === 'mulaw') return decodeMulaw(bytes);
  if (encoding === 'alaw') return decodeAlaw(bytes);
  return bytesToPcm16(bytes);
}

/** Root mean square of `samples[from, to)`. */
function rms(samples: Int16Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) {
    const s = samples[i] as number;
    sum += s * s;
  }
  return to > from ? Math.sqrt(sum / (to - from)) : 0;
}

/** One detector frame: its length in samples and the verdict. */
export interface Frame {
  samples: number;
  speech: boolean;
}

/**
 * Cuts a byte stream into frames of FRAME_MS. A split sample or a part frame waits for the next
 * push; `flush` judges whatever part frame is left.
 */
export class FrameCutter {
  readonly frameSamples: number;
  private readonly width: number;
  private carry = new Uint8Array(0);

  constructor(
    private readonly encoding: RawEncoding,
    sampleRate: number,
  ) {
    this.frameSamples = Math.max(1, Math.round((sampleRate * FRAME_MS) / 1000));
    this.width = bytesPerSample(encoding);
  }

  /** Frames completed by `bytes`, in order. */
  push(bytes: Uint8Array): Frame[] {
    const all = this.carry.byteLength ? concat(this.carry, bytes) : bytes;
    const frameBytes = this.frameSamples * this.width;
    const whole = all.byteLength - (all.byteLength % frameBytes);
    this.carry = all.slice(whole);
    return this.judge(all.subarray(0, whole));
  }

  /** The last part frame (whole samples only), if any. */
  flush(): Frame[] {
    const usable = this.carry.byteLength - (this.carry.byteLength % this.width);
    const frames = this.judge(this.carry.subarray(0, usable));
    this.carry = new Uint8Array(0);
    return frames;
  }

  private judge(bytes: Uint8Array): Frame[] {
    if (bytes.byteLength === 0) return [];
    const pcm = decodeSamples(this.encoding, bytes);
    const frames: Frame[] = [];
    for (let at = 0; at < pcm.length; at += this.frameSamples) {
      const end = Math.min(pcm.length, at + this.frameSamples);
      frames.push({ samples: end - at, speech: rms(pcm, at, end) >= SPEECH_RMS_THRESHOLD });
    }
    return frames;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}
