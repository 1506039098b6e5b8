/**
 * One live `/v1/listen` stream: audio frames in, Deepgram messages out, on the stream's audio clock.
 *
 * An utterance starts at the first speech frame and ends after `endpointing` ms of silence (or at
 * Finalize / CloseStream). While it lasts, an interim Result goes out every INTERIM_EVERY_MS of
 * audio (with `interim_results=true`); SpeechStarted marks its first frame (with `vad_events=true`);
 * its final Result goes out `sttFinalMs` after its end was heard; UtteranceEnd follows once
 * `utterance_end_ms` of silence follows the last speech (with `utterance_end_ms` set).
 *
 * Messages leave through one ordered outbox, each no earlier than its due time and never before
 * the one ahead of it, as a server working through the audio in order would send them.
 */
import { createHash } from 'node:crypto';
import type { ListenParams } from './protocol.js';
import {
  metadataMessage,
  reportedLanguage,
  resultsMessage,
  speechStartedMessage,
  utteranceEndMessage,
} from './protocol.js';
import type { Frame } from './speech.js';
import { FrameCutter } from './speech.js';
import type { TranscriptScript } from './transcripts.js';
import { seconds, splitLanguageTag, spreadWords } from './transcripts.js';

/** Audio-clock interval between interim Results of one utterance (Deepgram sends about two a second). */
export const INTERIM_EVERY_MS = 500;
/**
 * Messages one stream may have waiting to be sent: a client pushing audio far faster than real time
 * only ever queues a few per second of audio, so reaching this means hours of audio at once.
 */
const MAX_OUTBOX_MESSAGES = 10_000;

/** Where a stream's messages and its close go (the WebSocket, in the emulator). */
export interface StreamSink {
  send(message: Record<string, unknown>): void;
  close(code: number, reason: string): void;
}

/** The speech in progress, in samples on the stream's audio clock. */
interface Utterance {
  start: number;
  lastSpeechEnd: number;
  nextInterimAt: number;
}

interface Outgoing {
  dueAt: number;
  run: () => void;
}

/** One live stream's state; the emulator feeds it frames and control messages. */
export class LiveStream {
  private readonly cutter: FrameCutter;
  private readonly hash = createHash('sha256');
  private readonly created = new Date().toISOString();
  /** Audio samples heard so far. */
  private cursor = 0;
  /** Start of the audio not yet covered by a final Result. */
  private windowStart = 0;
  private utterance: Utterance | null = null;
  /** End of the most recent speech, while an UtteranceEnd for it is still owed. */
  private owedUtteranceEnd: number | null = null;
  private readonly outbox: Outgoing[] = [];
  private outboxTimer: NodeJS.Timeout | null = null;
  private lastDueAt = 0;
  private closing = false;

  constructor(
    private readonly params: ListenParams,
    private readonly script: TranscriptScript,
    private readonly finalDelayMs: number,
    private readonly requestId: string,
    private readonly sink: StreamSink,
  ) {
    this.cutter = new FrameCutter(params.encoding, params.sampleRate);
  }

  /** A binary frame of audio (never empty: the caller drops zero-length frames). */
  audio(bytes: Uint8Array): void {
    if (this.closing) return;
    this.hash.update(bytes);
    for (const frame of this.cutter.push(bytes)) this.frame(frame);
  }

  /** `Finalize`: flush pending speech as a final Result with `from_finalize:true` (always answered). */
  finalize(): void {
    if (this.closing) return;
    this.flush(true);
  }

  /** `CloseStream`: flush, send the Metadata summary, then close with 1000. */
  closeStream(): void {
    if (this.closing) return;
    this.flush(false);
    this.closing = true;
    const duration = seconds(this.cursor, this.params.sampleRate);
    const sha256 = this.hash.digest('hex');
    this.enqueue(0, () =>
      this.sink.send(
        metadataMessage({
          requestId: this.requestId,
          sha256,
          created: this.created,
          duration,
          model: this.params.model,
        }),
      ),
    );
    this.enqueue(0, () => this.sink.close(1000, ''));
  }

  /** Stops the outbox; nothing more is sent. */
  dispose(): void {
    this.closing = true;
    this.outbox.length = 0;
    if (this.outboxTimer) clearTimeout(this.outboxTimer);
    this.outboxTimer = null;
  }

  private frame({ samples, speech }: Frame): void {
    const rate = this.params.sampleRate;
    const at = this.cursor;
    this.cursor += samples;
    if (speech) {
      this.owedUtteranceEnd = null;
      if (!this.utterance) {
        this.utterance = {
          start: at,
          lastSpeechEnd: this.cursor,
          nextInterimAt: at + this.msToSamples(INTERIM_EVERY_MS),
        };
        if (this.params.vadEvents) {
          const timestamp = seconds(at, rate);
          this.enqueue(0, () => this.sink.send(speechStartedMessage(timestamp)));
        }
      }
      this.utterance.lastSpeechEnd = this.cursor;
    }
    const u = this.utterance;
    if (u) {
      const silence = this.cursor - u.lastSpeechEnd;
      const endpointing = this.params.endpointingMs;
      if (endpointing !== null && silence > 0 && silence >= this.msToSamples(endpointing)) {
        this.finalResult({ speechFinal: true, fromFinalize: false });
      } else if (this.params.interimResults && this.cursor >= u.nextInterimAt) {
        u.nextInterimAt += this.msToSamples(INTERIM_EVERY_MS);
        this.interimResult(u);
      }
    }
    const owed = this.owedUtteranceEnd;
    const gapMs = this.params.utteranceEndMs;
    if (owed !== null && gapMs !== null && this.cursor - owed >= this.msToSamples(gapMs)) {
      this.owedUtteranceEnd = null;
      const lastWordEnd = seconds(owed, rate);
      this.enqueue(0, () => this.sink.send(utteranceEndMessage(lastWordEnd)));
    }
  }

  private flush(alwaysAnswer: boolean): void {
    for (const frame of this.cutter.flush()) this.frame(frame);
    if (this.utterance || alwaysAnswer || this.cursor > this.windowStart)
      this.finalResult({ speechFinal: false, fromFinalize: true });
  }

  private interimResult(u: Utterance): void {
    const rate = this.params.sampleRate;
    const start = seconds(this.windowStart, rate);
    const duration = seconds(this.cursor - this.windowStart, rate);
    const speechStart = seconds(u.start, rate);
    const speechEnd = seconds(u.lastSpeechEnd, rate);
    this.enqueue(0, () => {
      const line = splitLanguageTag(this.script.peekInterim(speechEnd - speechStart));
      const transcript = line.text;
      const language = reportedLanguage(this.params, line.language);
      const words = spreadWords(transcript, speechStart, speechEnd, language);
      this.sendResult({
        start,
        duration,
        isFinal: false,
        speechFinal: false,
        fromFinalize: false,
        transcript,
        words,
        language,
      });
    });
  }

  /** Closes the window with a final Result: the utterance's transcript, or an empty one without speech. */
  private finalResult(flags: { speechFinal: boolean; fromFinalize: boolean }): void {
    const rate = this.params.sampleRate;
    const u = this.utterance;
    const start = seconds(this.windowStart, rate);
    const duration = seconds(this.cursor - this.windowStart, rate);
    this.windowStart = this.cursor;
    this.utterance = null;
    if (u) this.owedUtteranceEnd = u.lastSpeechEnd;
    this.enqueue(this.finalDelayMs, () => {
      let transcript = '';
      let language = reportedLanguage(this.params);
      let words: ReturnType<typeof spreadWords> = [];
      if (u) {
        const speechStart = seconds(u.start, rate);
        const speechEnd = seconds(u.lastSpeechEnd, rate);
        // Taken when sent, not when heard: a stream closed before its final does not use up a line.
        const line = splitLanguageTag(this.script.take(speechEnd - speechStart));
        transcript = line.text;
        language = reportedLanguage(this.params, line.language);
        words = spreadWords(transcript, speechStart, speechEnd, language);
      }
      this.sendResult({ start, duration, isFinal: true, ...flags, transcript, words, language });
    });
  }

  private sendResult(f: {
    start: number;
    duration: number;
    isFinal: boolean;
    speechFinal: boolean;
    fromFinalize: boolean;
    transcript: string;
    words: ReturnType<typeof spreadWords>;
    language: string | undefined;
  }): void {
    this.sink.send(
      resultsMessage({
        ...f,
        requestId: this.requestId,
        model: this.params.model,
      }),
    );
  }

  private msToSamples(ms: number): number {
    return Math.round((ms * this.params.sampleRate) / 1000);
  }

  private enqueue(delayMs: number, run: () => void): void {
    if (this.outbox.length >= MAX_OUTBOX_MESSAGES) {
      this.dispose();
      this.sink.close(1011, 'NET-0000');
      return;
    }
    const dueAt = Math.max(Date.now() + delayMs, this.lastDueAt);
    this.lastDueAt = dueAt;
    this.outbox.push({ dueAt, run });
    this.pump();
  }

  private pump(): void {
    if (this.outboxTimer) return;
    while (this.outbox.length > 0) {
      const head = this.outbox[0] as Outgoing;
      const wait = head.dueAt - Date.now();
      if (wait > 0) {
        this.outboxTimer = setTimeout(() => {
          this.outboxTimer = null;
          this.pump();
        }, wait);
        return;
      }
      this.outbox.shift();
      head.run();
    }
  }
}
