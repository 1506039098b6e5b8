/**
 * An in-process TTS that speaks a quiet tone instead of words: a fixed length per word, in the
 * requested encoding and rate, with word timings. Deterministic, so tests can assert byte counts.
 */
import { encodeFromPcm16 } from '../../audio/formats.js';
import type { AudioFormatType } from '../../audio/formats.js';
import { sleep } from '../../util/abort.js';
import { MAX_RECORDED } from './scripted-llm.js';
import type { AudioSpec, TtsChunk, TtsOptions, TtsStage, WordTiming } from '../types.js';

/** How the fake speaks. */
export interface ToneTtsOptions {
  /** Audio length of one word at speed 1. */
  msPerWord: number;
  /** Pause before the first audio of each piece. */
  firstAudioMs: number;
  /** Audio is cut into chunks of this length. */
  chunkMs: number;
  /** Fails on the piece whose text contains this marker (fault injection for tests). */
  failOn?: string;
}

const DEFAULTS: ToneTtsOptions = { msPerWord: 200, firstAudioMs: 0, chunkMs: 100 };
const TONE_HZ = 440;
/** About -26 dBFS: audible, never clipping. */
const AMPLITUDE = 1600;

/** A TTS stage that turns each word into a short tone. */
export class ToneTts implements TtsStage {
  readonly label = 'fake.tts';
  readonly pieces: string[] = [];
  private readonly o: ToneTtsOptions;

  constructor(options: Partial<ToneTtsOptions> = {}) {
    this.o = { ...DEFAULTS, ...options };
  }

  async *synthesize(
    text: AsyncIterable<string>,
    opts: TtsOptions,
    signal: AbortSignal,
  ): AsyncIterable<TtsChunk> {
    let offsetMs = 0;
    let phase = 0;
    for await (const piece of text) {
      if (signal.aborted) return;
      this.pieces.push(piece);
      if (this.pieces.length > MAX_RECORDED) this.pieces.shift();
      if (this.o.failOn && piece.includes(this.o.failOn)) throw new Error('scripted TTS failure');
      if (this.o.firstAudioMs > 0) await sleep(this.o.firstAudioMs, signal);
      if (signal.aborted) return;
      const wordMs = this.o.msPerWord / opts.speed;
      const words: WordTiming[] = piece
        .split(/\s+/)
        .filter(Boolean)
        .map((word, i) => ({ word, startMs: offsetMs + i * wordMs, endMs: offsetMs + (i + 1) * wordMs }));
      const totalMs = words.length * wordMs;
      const samples = Math.round((totalMs * opts.audio.sampleRate) / 1000);
      const chunkSamples = Math.max(1, Math.round((this.o.chunkMs * opts.audio.sampleRate) / 1000));
      for (let start = 0; start < samples; start += chunkSamples) {
        const n = Math.min(chunkSamples, samples - start);
        const pcm = new Int16Array(n);
        for (let i = 0; i < n; i++)
          pcm[i] = Math.round(
            AMPLITUDE * Math.sin((2 * Math.PI * TONE_HZ * (phase + i)) / opts.audio.sampleRate),
          );
        phase += n;
        yield { audio: encode(pcm, opts.audio), words: start === 0 ? words : undefined };
        if (signal.aborted) return;
      }
      offsetMs += totalMs;
    }
  }
}

/** The wire format whose encoding the spec names; the rate is the spec's own. */
const FORMAT_OF: Record<AudioSpec['encoding'], AudioFormatType> = {
  pcm16: 'audio/pcm',
  mulaw: 'audio/pcmu',
  alaw: 'audio/pcma',
};

function encode(pcm: Int16Array, spec: AudioSpec): Uint8Array {
  return encodeFromPcm16(FORMAT_OF[spec.encoding], pcm);
}
