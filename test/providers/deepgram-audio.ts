/**
 * Test audio for the Deepgram tests (tone bursts between silences, in the encodings the gateway
 * speaks), and how they run a transcription and read its finals.
 */
import { encodeAlaw, encodeMulaw } from '../../src/audio/g711.js';
import { pcm16ToBytes } from '../../src/audio/pcm16.js';
import type { DeepgramStt } from '../../src/providers/deepgram/index.js';
import type { AudioSpec, SttEvent } from '../../src/providers/types.js';

/** Tone amplitude: about -12 dBFS RMS, far above the emulator's speech threshold. */
const TONE_AMPLITUDE = 8_000;
const TONE_HZ = 440;

/** Silence and tone segments, in ms, alternating and starting with silence: [silence, tone, silence, ...]. */
export function toneBursts(spec: AudioSpec, segmentsMs: number[]): Uint8Array {
  const rate = spec.sampleRate;
  const n = (ms: number) => Math.round((ms * rate) / 1000);
  const pcm = new Int16Array(segmentsMs.reduce((sum, ms) => sum + n(ms), 0));
  let at = 0;
  segmentsMs.forEach((ms, i) => {
    const len = n(ms);
    if (i % 2 === 1)
      for (let j = 0; j < len; j++)
        pcm[at + j] = Math.round(TONE_AMPLITUDE * Math.sin((2 * Math.PI * TONE_HZ * j) / rate));
    at += len;
  });
  if (spec.encoding === 'mulaw') return encodeMulaw(pcm);
  if (spec.encoding === 'alaw') return encodeAlaw(pcm);
  return pcm16ToBytes(pcm);
}

/** `bytes` cut into chunks of `chunkMs` of audio. */
export function chunked(spec: AudioSpec, bytes: Uint8Array, chunkMs = 20): Uint8Array[] {
  const size = (spec.sampleRate * chunkMs * (spec.encoding === 'pcm16' ? 2 : 1)) / 1000;
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.byteLength; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** Yields `chunks`, optionally pausing after the chunk at index `pause.after` for `pause.ms`. */
export async function* paced(
  chunks: Uint8Array[],
  pause?: { after: number; ms: number },
): AsyncIterable<Uint8Array> {
  for (let i = 0; i < chunks.length; i++) {
    yield chunks[i] as Uint8Array;
    if (pause && i === pause.after) await new Promise((r) => setTimeout(r, pause.ms));
  }
}

/** A minimal mono WAV file around `data`. */
export function wavFile(spec: AudioSpec, data: Uint8Array): Uint8Array {
  const width = spec.encoding === 'pcm16' ? 2 : 1;
  const format = spec.encoding === 'pcm16' ? 1 : spec.encoding === 'alaw' ? 6 : 7;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.byteLength, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(format, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(spec.sampleRate, 24);
  header.writeUInt32LE(spec.sampleRate * width, 28);
  header.writeUInt16LE(width, 32);
  header.writeUInt16LE(width * 8, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.byteLength, 40);
  return Buffer.concat([header, data]);
}

/** Runs one transcription to its end and returns its events. */
export async function collect(
  stage: DeepgramStt,
  spec: AudioSpec,
  audio: AsyncIterable<Uint8Array>,
  opts: { language?: string; signal?: AbortSignal } = {},
): Promise<SttEvent[]> {
  const out: SttEvent[] = [];
  const sttOpts = { audio: spec, ...(opts.language ? { language: opts.language } : {}) };
  for await (const ev of stage.transcribe(audio, sttOpts, opts.signal ?? new AbortController().signal)) {
    out.push(ev);
  }
  return out;
}

/** The non-empty final transcripts among `events`. */
export const finals = (events: SttEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'final' && e.text ? [e.text] : []));
