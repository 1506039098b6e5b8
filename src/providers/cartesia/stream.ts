/**
 * The receiving side of one Cartesia context: a bounded queue of the server's messages for that
 * context, turned into TtsChunks, with a watchdog for a server that goes silent while audio is owed.
 *
 * Audio messages already queued together (the event loop was busy while several arrived) come out
 * as one chunk, up to `maxChunkBytes`: each chunk becomes a client delta (JSON, base64 and a
 * socket write), and these were sent back to back anyway. A chunk that arrives alone is handed on
 * alone, so no audio waits for more.
 */
import type { TtsChunk, WordTiming } from '../types.js';

/** The server messages of one context that the adapter reads (as the SDK hands them over). */
export type CartesiaEvent =
  | { type: 'chunk'; context_id: string; data: string; audio?: Uint8Array }
  | {
      type: 'timestamps';
      context_id: string;
      word_timestamps?: { words: string[]; start: number[]; end: number[] } | null;
    }
  | { type: 'done'; context_id: string }
  | {
      type: 'error';
      context_id?: string;
      title?: string;
      message?: string;
      error_code?: string;
      status_code?: number;
    }
  | { type: 'flush_done' | 'phoneme_timestamps'; context_id: string };

/** Messages queued for a consumer that does not read: about 160 s of 40 ms chunks. */
const MAX_QUEUED_EVENTS = 4096;
const NO_AUDIO = new Uint8Array(0);

/** One context's incoming side. */
export class CartesiaStream {
  /** Text was sent, so the server holds a context. */
  started = false;
  /** `done` or `error` arrived (or nothing was ever sent): the server holds no context. */
  settled = false;
  private readonly queue: CartesiaEvent[] = [];
  private failure: Error | null = null;
  private closed = false;
  private wake: (() => void) | null = null;
  private stallTimer: NodeJS.Timeout | undefined;
  /** The stream failed because Cartesia went silent: its socket is not to be trusted again. */
  stalled = false;
  private audioSeen = false;
  private inputDone = false;
  /** A PCM16 byte left over from a chunk of odd length, so every yielded chunk holds whole samples. */
  private carry: number | null = null;
  /** The signal a waiting read listens to (see watch). */
  private watched: AbortSignal | null = null;

  constructor(
    private readonly wholeSamples: boolean,
    private readonly stallTimeoutMs: number,
    /** Most audio joined into one chunk from queued messages (a single message is never split). */
    private readonly maxChunkBytes = 0,
  ) {}

  /** The consumer has gone. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Routes one server message of this context here. */
  push(event: CartesiaEvent): void {
    if (this.closed || this.settled) return;
    if (this.queue.length >= MAX_QUEUED_EVENTS) {
      this.fail(new Error(`Cartesia stream overflow: more than ${MAX_QUEUED_EVENTS} messages unread`));
      return;
    }
    this.queue.push(event);
    if (event.type === 'chunk') this.audioSeen = true;
    if (this.stallTimer) {
      clearTimeout(this.stallTimer);
      this.stallTimer = undefined;
      if (this.inputDone || !this.audioSeen) this.armStall();
    }
    this.notify();
  }

  /** Fails the stream (the first failure wins). */
  fail(err: Error): void {
    if (this.closed || this.settled || this.failure) return;
    this.failure = err;
    this.notify();
  }

  /** Ends the stream without any message from the server (nothing was said). */
  end(): void {
    this.settled = true;
    this.notify();
  }

  /** Text was pushed: until the first audio arrives, silence is a stall. */
  owe(): void {
    if (!this.audioSeen && !this.stallTimer) this.armStall();
  }

  /** The input ended: until `done`, silence is a stall. */
  inputEnded(): void {
    this.inputDone = true;
    if (!this.stallTimer) this.armStall();
  }

  /** The consumer is leaving: stop timers and drop what is queued. */
  close(): void {
    this.closed = true;
    this.watched?.removeEventListener('abort', this.onAbort);
    this.watched = null;
    clearTimeout(this.stallTimer);
    this.queue.length = 0;
    this.notify();
  }

  /** The next chunk; null at the end of the stream or once `signal` aborts. Throws on failure. */
  async next(signal: AbortSignal): Promise<TtsChunk | null> {
    for (;;) {
      if (signal.aborted || this.closed) return null;
      const event = this.queue.shift();
      if (event) {
        const chunk = this.toChunk(event);
        if (chunk) return chunk;
        if (this.settled) return null;
        continue;
      }
      if (this.failure) {
        clearTimeout(this.stallTimer);
        throw this.failure;
      }
      if (this.settled) return null;
      this.watch(signal);
      await new Promise<void>((resolve) => {
        this.wake = () => {
          this.wake = null;
          resolve();
        };
      });
    }
  }

  private toChunk(event: CartesiaEvent): TtsChunk | null {
    switch (event.type) {
      case 'chunk':
        return { audio: this.wholeSamplesOf(this.joinQueuedAudio(audioOf(event))) };
      case 'timestamps': {
        const t = event.word_timestamps;
        if (!t || t.words.length === 0) return null;
        const words: WordTiming[] = t.words.map((word, i) => ({
          word,
          startMs: Math.round((t.start[i] ?? 0) * 1000),
          endMs: Math.round((t.end[i] ?? t.start[i] ?? 0) * 1000),
        }));
        return { audio: NO_AUDIO, words };
      }
      case 'done':
        this.settle();
        return null;
      case 'error': {
        this.settle();
        const code = [event.status_code, event.error_code].filter((x) => x !== undefined).join(' ');
        throw new Error(
          `Cartesia TTS error${code ? ` (${code})` : ''}: ${event.message || event.title || 'unknown error'}`,
        );
      }
      default:
        return null;
    }
  }

  private settle(): void {
    this.settled = true;
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  /** `first` and the audio messages queued right behind it, as one buffer of at most maxChunkBytes. */
  private joinQueuedAudio(first: Uint8Array): Uint8Array {
    let next = this.queue[0];
    if (next?.type !== 'chunk') return first;
    const parts = [first];
    let bytes = first.byteLength;
    while (next?.type === 'chunk') {
      const audio = audioOf(next);
      if (bytes + audio.byteLength > this.maxChunkBytes) break;
      this.queue.shift();
      parts.push(audio);
      bytes += audio.byteLength;
      next = this.queue[0];
    }
    return parts.length === 1 ? first : Buffer.concat(parts, bytes);
  }

  private wholeSamplesOf(bytes: Uint8Array): Uint8Array {
    if (!this.wholeSamples) return bytes;
    let src = bytes;
    if (this.carry !== null) {
      src = new Uint8Array(bytes.byteLength + 1);
      src[0] = this.carry;
      src.set(bytes, 1);
    }
    const even = src.byteLength - (src.byteLength % 2);
    this.carry = even < src.byteLength ? (src[even] as number) : null;
    return even === src.byteLength ? src : src.subarray(0, even);
  }

  private armStall(): void {
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      this.stalled = true;
      this.fail(new Error(`Cartesia sent nothing for ${this.stallTimeoutMs} ms while audio was owed`));
    }, this.stallTimeoutMs);
  }

  /**
   * Wakes a waiting read when `signal` aborts. One listener for the stream's life, not one per
   * wait: a wait per audio message made the add and remove a visible cost at 100 sessions.
   */
  private watch(signal: AbortSignal): void {
    if (this.watched === signal) return;
    this.watched?.removeEventListener('abort', this.onAbort);
    this.watched = signal;
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = (): void => this.notify();

  private notify(): void {
    this.wake?.();
  }
}

function audioOf(event: Extract<CartesiaEvent, { type: 'chunk' }>): Uint8Array {
  return event.audio ?? Buffer.from(event.data, 'base64');
}
