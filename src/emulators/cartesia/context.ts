/**
 * One Cartesia context inside the emulator: transcripts concatenate verbatim and are spoken as
 * they arrive, sentence by sentence (all that is pending on flush or at `continue:false`), with
 * the first audio of each piece held back to the latency profile and the rest paced in chunks.
 */
import { encodeBase64 } from '../../audio/base64.js';
import { encodeAlaw, encodeMulaw } from '../../audio/g711.js';
import { pcm16ToBytes, pcm16ToFloat32 } from '../../audio/pcm16.js';
import { sleep } from '../../util/abort.js';
import { MAX_ESPEAK_TEXT_CHARS, UnsupportedVoiceError } from '../speech/espeak.js';
import { espeakVoiceFor, speak } from '../speech/speak.js';
import type { CartesiaEncoding, CartesiaServerMessage, GenerationRequest } from './protocol.js';

/** How fast the emulated service answers. */
export interface CartesiaLatencyProfile {
  /** Delay from a piece becoming speakable to its first chunk (Cartesia Sonic: about 90 ms). */
  firstAudioMs: number;
  /** Audio per chunk message. */
  chunkMs: number;
  /** Chunks are sent this many times faster than they play; Infinity sends a piece at once. */
  realtimeFactor: number;
}

/** Default profile: the figures of the hosted stack the gateway replaces. */
export const DEFAULT_CARTESIA_LATENCY: CartesiaLatencyProfile = {
  firstAudioMs: 90,
  chunkMs: 40,
  realtimeFactor: 4,
};

/** Text waiting in one context is bounded by what one synthesis may take. */
export const MAX_CONTEXT_TEXT_CHARS = MAX_ESPEAK_TEXT_CHARS;

/** A sentence end (as the gateway's chunker sees it) followed by white space or the end of the text. */
const SENTENCE_END = /[.!?;:…](?:["')\]]*)(?=\s|$)/g;

/** Raised inside a context; the connection turns it into an `error` message. */
export class ContextError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

/** What a context needs from its connection. */
export interface ContextHost {
  send(msg: CartesiaServerMessage): void;
  /** The context sent `done` or an error, or was cancelled: forget it. */
  release(contextId: string): void;
  fail(contextId: string, err: unknown): void;
}

/** One context's state. */
export class EmulatedContext {
  private pending = '';
  private flushId = 1;
  private samplesSent = 0;
  private tail: Promise<void> = Promise.resolve();
  private readonly stop = new AbortController();
  private ended = false;

  constructor(
    readonly id: string,
    /** The first request fixes model, voice, format and language for the whole context. */
    readonly firstRequest: GenerationRequest,
    private readonly profile: CartesiaLatencyProfile,
    private readonly host: ContextHost,
  ) {}

  /** Whether `continue:false` has been received (nothing more may be added). */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Takes one input of this context. */
  accept(req: GenerationRequest): void {
    if (this.pending.length + req.transcript.length > MAX_CONTEXT_TEXT_CHARS) {
      throw new ContextError(
        400,
        'transcript_too_long',
        'Transcript too long',
        'The pending transcript is too long.',
      );
    }
    this.pending += req.transcript;
    const speed = req.generation_config?.speed ?? 1;
    const final = req.continue !== true;
    if (req.flush || final) {
      this.enqueue(this.take(this.pending.length), speed);
      if (req.flush) {
        const flushId = this.flushId++;
        this.then(() =>
          this.host.send({
            type: 'flush_done',
            done: false,
            flush_done: true,
            flush_id: flushId,
            status_code: 206,
            context_id: this.id,
          }),
        );
      }
    } else {
      let cut = 0;
      for (const m of this.pending.matchAll(SENTENCE_END)) cut = m.index + m[0].length;
      if (cut > 0) this.enqueue(this.take(cut), speed);
    }
    if (final) {
      this.ended = true;
      this.then(() => {
        this.host.send({ type: 'done', done: true, status_code: 206, context_id: this.id });
        this.host.release(this.id);
      });
    }
  }

  /** Stops all output of this context at once. */
  cancel(): void {
    this.stop.abort();
  }

  private take(end: number): string {
    const text = this.pending.slice(0, end);
    this.pending = this.pending.slice(end);
    return text;
  }

  private then(step: () => void | Promise<void>): void {
    const signal = this.stop.signal;
    this.tail = this.tail.then(async () => {
      if (signal.aborted) return;
      try {
        await step();
      } catch (err) {
        this.stop.abort();
        this.host.fail(this.id, err);
      }
    });
  }

  private enqueue(text: string, speed: number): void {
    if (!/\S/.test(text)) return;
    this.then(() => this.speakPiece(text, speed));
  }

  private async speakPiece(text: string, speed: number): Promise<void> {
    const { output_format: format, language } = this.firstRequest;
    const signal = this.stop.signal;
    const t0 = performance.now();
    let speech;
    try {
      speech = await speak(text, {
        voice: espeakVoiceFor(language ?? 'en'),
        sampleRate: format.sample_rate,
        speed,
      });
    } catch (err) {
      if (err instanceof UnsupportedVoiceError)
        throw new ContextError(
          400,
          'invalid_language',
          'Invalid language',
          `Language '${language}' is not supported.`,
        );
      throw err;
    }
    const stepMs = performance.now() - t0;
    await sleep(this.profile.firstAudioMs - stepMs, signal);
    const rate = format.sample_rate;
    const chunkSamples = Math.max(1, Math.round((this.profile.chunkMs * rate) / 1000));
    const gapMs = this.profile.chunkMs / this.profile.realtimeFactor;
    const start = performance.now();
    for (let i = 0, k = 0; i < speech.pcm.length; i += chunkSamples, k++) {
      if (signal.aborted) return;
      const waitMs = start + k * gapMs - performance.now();
      // Infinity sends at once: gapMs is 0, and a 0 ms timer would still cost about 1 ms a chunk.
      if (waitMs >= 1) await sleep(waitMs, signal);
      if (signal.aborted) return;
      const audio = encode(speech.pcm.subarray(i, i + chunkSamples), format.encoding);
      this.host.send({
        type: 'chunk',
        data: encodeBase64(audio),
        done: false,
        status_code: 206,
        step_time: Math.round(stepMs),
        context_id: this.id,
        flush_id: this.flushId,
      });
    }
    const offsetS = this.samplesSent / rate;
    this.samplesSent += speech.pcm.length;
    if (this.firstRequest.add_timestamps && speech.words.length > 0) {
      this.host.send({
        type: 'timestamps',
        done: false,
        status_code: 206,
        context_id: this.id,
        flush_id: this.flushId,
        word_timestamps: {
          words: speech.words.map((w) => w.word),
          start: speech.words.map((w) => offsetS + w.startMs / 1000),
          end: speech.words.map((w) => offsetS + w.endMs / 1000),
        },
      });
    }
  }
}

function encode(pcm: Int16Array, encoding: CartesiaEncoding): Uint8Array {
  switch (encoding) {
    case 'pcm_s16le':
      return pcm16ToBytes(pcm);
    case 'pcm_mulaw':
      return encodeMulaw(pcm);
    case 'pcm_alaw':
      return encodeAlaw(pcm);
    case 'pcm_f32le': {
      const floats = pcm16ToFloat32(pcm);
      const out = new Uint8Array(floats.length * 4);
      const view = new DataView(out.buffer);
      for (let i = 0; i < floats.length; i++) view.setFloat32(i * 4, floats[i] as number, true);
      return out;
    }
  }
}
