/**
 * Speech for the audio scenarios: the committed espeak-ng fixtures (test/fixtures/speech) encoded
 * as the session's input format, and a microphone that streams them in real time, one 20 ms
 * append every 20 ms, as a client would.
 */
import { encodeMulaw } from '../../src/audio/g711.js';
import { resamplePcm16 } from '../../src/audio/resampler.js';
import { SPEECH_FIXTURES, loadSpeech } from '../../test/fixtures/speech/index.js';
import type { SpeechFixtureName } from '../../test/fixtures/speech/index.js';
import type { KitClient } from './client.js';

/** The input formats the scenarios use. */
export type InputFormat = 'pcm' | 'pcmu';

/** Bytes per millisecond of each format: 24 kHz PCM16, 8 kHz G.711. */
export const BYTES_PER_MS: Record<InputFormat, number> = { pcm: 48, pcmu: 8 };
/** The code for silence in each format (μ-law's zero is 0xff). */
const SILENCE_BYTE: Record<InputFormat, number> = { pcm: 0, pcmu: 0xff };
/** One append: 20 ms, as Realtime clients send microphone audio. */
export const CHUNK_MS = 20;

/** A fixture encoded in `format`, followed by `trailingSilenceMs` of silence. */
export function speech(name: SpeechFixtureName, format: InputFormat, trailingSilenceMs: number): Uint8Array {
  const encoded =
    format === 'pcm'
      ? (() => {
          const pcm = resamplePcm16(loadSpeech(name, 16_000), 16_000, 24_000);
          return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
        })()
      : encodeMulaw(loadSpeech(name, 8_000));
  const out = new Uint8Array(encoded.byteLength + trailingSilenceMs * BYTES_PER_MS[format]);
  out.fill(SILENCE_BYTE[format]);
  out.set(encoded);
  return out;
}

/** `ms` of silence in `format`. */
export function silence(format: InputFormat, ms: number): Uint8Array {
  return new Uint8Array(ms * BYTES_PER_MS[format]).fill(SILENCE_BYTE[format]);
}

/** The measured speech spans of a fixture ([startMs, endMs]). */
export function speechSpans(name: SpeechFixtureName): [number, number][] {
  return SPEECH_FIXTURES[name].speechMs;
}

/**
 * Streams `bytes` as 20 ms appends paced by the wall clock from the first one (late timers catch
 * up at once, so the stream never drifts). Stops early when `stop()` returns true or the socket
 * closes. Resolves when everything is sent.
 */
export async function streamRealtime(
  client: KitClient,
  bytes: Uint8Array,
  format: InputFormat,
  stop: () => boolean = () => false,
): Promise<void> {
  const chunk = CHUNK_MS * BYTES_PER_MS[format];
  const t0 = Date.now();
  for (let i = 0, n = 0; i < bytes.byteLength; i += chunk, n++) {
    const wait = t0 + n * CHUNK_MS - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (stop() || client.closed) return;
    client.send({
      type: 'input_audio_buffer.append',
      audio: Buffer.from(bytes.subarray(i, i + chunk)).toString('base64'),
    });
  }
}
