/**
 * One Deepgram live transcription: a socket, the audio pump, the finish handshake, and the
 * reconnection the gateway owns (the SDK's own is off, providers.md 0.4).
 *
 * Drops: a close nobody asked for (other than a data or policy error) opens a new connection,
 * after a short backoff, up to `maxReconnects` times in a row (a final in between starts the count
 * again); the audio no final covers yet is replayed on it first, so the utterance in progress
 * comes out whole.
 *
 * Finish: when the audio ends, `Finalize`; once its `from_finalize` final is in and the finals
 * cover every byte sent, the socket goes to the pool for the session's next run (socket-pool.ts).
 * Otherwise (no answer in time, no pool, a full pool), `CloseStream`, then the server's Metadata
 * and close. No answer to either within `finishTimeoutMs` is an error.
 *
 * A run may start on a socket from the pool: its stream's clock then starts where the last run's
 * audio ended, and results ending before that are the last run's.
 *
 * Frames: clients append 20 ms or less at a time; each becoming its own WebSocket frame was an
 * eighth of the gateway's event-loop time at 100 sessions (syscalls on both ends). Audio is sent
 * in frames of up to `frameBytes` (100 ms by default, inside the 20-250 ms Deepgram suggests), and
 * never held longer than `maxHoldMs`; a flush or the end of the audio sends what is held first,
 * so a final transcript waits for nothing.
 */
import { STT_FLUSH } from '../types.js';
import type { DeepgramClient } from '@deepgram/sdk';
import { sleep } from '../../util/abort.js';
import { Channel, ChannelFullError } from '../../util/channel.js';
import type { SttEvent } from '../types.js';
import { ReplayBuffer } from './replay-buffer.js';
import type { ListenSocket, ListenSocketPool } from './socket-pool.js';
/** The SDK's connect arguments. */
export type ListenConnectArgs = Parameters<DeepgramClient['listen']['v1']['connect']>[0];

/** Events waiting for the consumer; a consumer this far behind is stuck, and the run fails. */
const MAX_QUEUED_EVENTS = 1_000;
/** First reconnect delay; doubled on each further attempt (a drop is usually over at once). */
const RECONNECT_BACKOFF_MS = 100;
/**
 * Close codes that a new connection would only meet again: protocol error, unsupported data,
 * invalid payload and policy violation (Deepgram's `DATA-0000` is 1008 or 1002).
 */
const NON_RETRYABLE_CLOSE_CODES: ReadonlySet<number> = new Set([1002, 1003, 1007, 1008]);
/** Audio a socket's finals may leave uncovered and still be parked for reuse (see finish). */
const PARK_TAIL_SECONDS = 0.05;

/** Settings of one run. */
export interface LiveRunSettings {
  args: ListenConnectArgs;
  /** Bytes per second of the audio (for mapping result times to bytes). */
  bytesPerSecond: number;
  /** Bytes per sample (replay cuts fall on sample boundaries). */
  sampleBytes: number;
  /** Bound on the audio kept for replay. */
  maxReplayBytes: number;
  connectTimeoutMs: number;
  maxReconnects: number;
  keepAliveMs: number;
  finishTimeoutMs: number;
  /** Removes the key from any text that reaches an error message. */
  redact: (text: string) => string;
  /** Audio gathered into one frame before it is sent; 0 sends each chunk as it comes. */
  frameBytes: number;
  /** Where a cleanly finished socket is kept for the next run, and taken from; null: none. */
  pool: ListenSocketPool | null;
  /** Runs with the same key may share a socket (the connection arguments). */
  poolKey: string;
  /** Longest audio waits for a frame to fill. */
  maxHoldMs: number;
  /** Told as each new socket starts its handshake. */
  onConnection?: () => void;
}

/** One transcription over one or more sockets. */
export class LiveRun {
  /** Transcript events for the consumer; closed when the run ends, whatever the reason. */
  readonly events = new Channel<SttEvent>(MAX_QUEUED_EVENTS);
  /** Set when the run failed; the consumer throws it after the queued events. */
  failure: Error | null = null;
  private socket: ListenSocket | null = null;
  /** Takes this run's listeners off the current socket. */
  private detach: (() => void) | null = null;
  /** Audio bytes the current socket's stream has heard: its clock, in bytes. */
  private streamBytes = 0;
  /** The stream's clock when this run took the socket over; earlier messages are the last run's. */
  private offsetBytes = 0;
  /** A Finalize went out on the current socket in this run, so a from_finalize answer is ours. */
  private finalizeOut = false;
  /** The stream's clock at the end of the furthest final Result: what is transcribed for good. */
  private heardBytes = 0;
  private open = false;
  private stopped = false;
  private reconnecting: Promise<void> | null = null;
  /** Reconnects since the last final: a server that keeps dropping the stream is given up on. */
  private reconnectsInARow = 0;
  private readonly replay: ReplayBuffer;
  private finalizeSent = false;
  private finalizeAnswered = false;
  private closeStreamSent = false;
  private streamClosed = false;
  private lastSendAt = Date.now();
  private keepAliveTimer: NodeJS.Timeout | null = null;
  private wakers: (() => void)[] = [];
  private releaseAudio: (() => void) | null = null;
  /** Audio received and not yet sent (less than a frame). */
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private holdTimer: NodeJS.Timeout | null = null;
  /** Aborted when the run ends, whatever the reason: cuts short any wait. */
  private readonly halt = new AbortController();

  private readonly onAbort = () => this.stop();

  /** The run stops quietly when `signal` aborts. */
  constructor(
    private readonly client: DeepgramClient,
    private readonly s: LiveRunSettings,
    private readonly signal: AbortSignal,
  ) {
    this.replay = new ReplayBuffer(s.maxReplayBytes, s.sampleBytes);
    if (signal.aborted) this.stop();
    else signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Connects, streams `audio`, finishes, and closes `events`. Never rejects: failures land in `failure`. */
  async drive(audio: AsyncIterable<Uint8Array>): Promise<void> {
    try {
      await this.connect();
      if (this.stopped || this.failure) return;
      // Checked at half the interval, so the longest silence is 1.5 x keepAliveMs.
      this.keepAliveTimer = setInterval(() => this.keepAlive(), Math.max(1, this.s.keepAliveMs / 2));
      if (!(await this.pump(audio))) return;
      await this.finish();
      this.end();
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Sends the audio as it arrives; false when the run stopped or failed before the audio ended. */
  private async pump(audio: AsyncIterable<Uint8Array>): Promise<boolean> {
    const it = audio[Symbol.asyncIterator]();
    // Called by end(): an input still waiting for its next chunk is released at once.
    this.releaseAudio = () => void Promise.resolve(it.return?.()).catch(() => undefined);
    try {
      for (;;) {
        const next = await it.next();
        if (next.done) return !this.stopped && !this.failure;
        if (this.stopped || this.failure) return false;
        const chunk = next.value;
        // A flush asks Deepgram to finalize what it heard so far; the stream goes on.
        if (chunk === STT_FLUSH) {
          this.sendHeld();
          if (this.open) this.sendFinalize();
          continue;
        }
        // An empty binary frame is not audio to Deepgram and may close the stream: never send one.
        if (chunk.byteLength === 0) continue;
        this.hold(chunk);
      }
    } finally {
      this.releaseAudio = null;
      this.sendHeld();
    }
  }

  private hold(chunk: Uint8Array): void {
    this.held.push(chunk);
    this.heldBytes += chunk.byteLength;
    if (this.heldBytes >= this.s.frameBytes) this.sendHeld();
    else this.holdTimer ??= setTimeout(() => this.sendHeld(), this.s.maxHoldMs);
  }

  /** Sends the held audio as one frame (kept for replay; a closed socket gets it on reconnect). */
  private sendHeld(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    if (this.heldBytes === 0 || this.stopped) return;
    const frame = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
    this.replay.add(frame);
    if (this.open) this.sendAudio(frame);
  }

  /** Stops at once (abort, or the consumer left): closes the socket, ends `events`, no error. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.end();
  }

  private end(): void {
    this.open = false;
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    this.held = [];
    this.heldBytes = 0;
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = null;
    const socket = this.socket;
    this.detach?.();
    this.detach = null;
    this.socket = null;
    socket?.close();
    this.events.close();
    this.releaseAudio?.();
    this.signal.removeEventListener('abort', this.onAbort);
    this.halt.abort();
    this.wake();
  }

  private fail(err: Error): void {
    if (this.stopped || this.failure) return;
    this.failure = new Error(this.s.redact(err.message));
    this.end();
  }

  private async finish(): Promise<void> {
    const deadlineMs = this.s.finishTimeoutMs;
    if (this.reconnecting) await this.reconnecting;
    if (this.stopped || this.failure) return;
    this.finalizeSent = true;
    // An earlier flush's answer must not count as the answer to this one.
    this.finalizeAnswered = false;
    this.sendFinalize();
    const answered = await this.until(() => this.finalizeAnswered, deadlineMs);
    if (this.stopped || this.failure) return;
    // Every byte is transcribed, so nothing more can come for this run: the socket can serve the
    // next one instead of closing. (Deepgram rounds times to the millisecond; a tail shorter than
    // any word is no loss.)
    const covered =
      this.heardBytes + Math.ceil(this.s.bytesPerSecond * PARK_TAIL_SECONDS) >= this.streamBytes;
    if (answered && covered && this.park()) return;
    this.closeStreamSent = true;
    this.send((s) => s.sendCloseStream({ type: 'CloseStream' }));
    const closed = await this.until(() => this.streamClosed, deadlineMs);
    if (this.stopped || this.failure) return;
    if (!answered && !closed)
      throw new Error(
        `Deepgram did not finish the transcript within ${deadlineMs} ms of the end of the audio`,
      );
  }

  /** Hands the current socket to the pool; false when the pool would not take it. */
  private park(): boolean {
    const socket = this.socket;
    const pool = this.s.pool;
    if (!socket || !pool || !this.open || this.reconnecting) return false;
    this.detach?.();
    if (!pool.park(this.s.poolKey, socket, this.streamBytes)) {
      this.attach(socket);
      return false;
    }
    this.detach = null;
    this.socket = null;
    this.open = false;
    return true;
  }

  /** Makes `socket` current with this run's listeners. */
  private attach(socket: ListenSocket): void {
    const onMessage = (msg: unknown) => this.onMessage(socket, msg);
    const onClose = (ev: { code: number; reason: string }) => this.onClose(socket, ev.code, ev.reason);
    // Failures also surface as a close or as the waitForOpen rejection; this only keeps them handled.
    const onError = () => undefined;
    socket.on('message', onMessage);
    socket.on('close', onClose);
    socket.on('error', onError);
    this.detach = () => {
      socket.off('message', onMessage);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    this.socket = socket;
  }

  /**
   * Makes a socket current: a parked one with the same arguments when the pool has one, else a new
   * one. Throws a clear error when the handshake fails.
   */
  private async connect(): Promise<void> {
    const parked = this.s.pool?.take(this.s.poolKey);
    if (parked) {
      this.attach(parked.socket);
      this.streamBytes = parked.streamBytes;
      this.offsetBytes = parked.streamBytes;
      this.heardBytes = parked.streamBytes;
      this.finalizeOut = false;
      this.open = true;
      return;
    }
    let socket: ListenSocket;
    try {
      socket = await this.client.listen.v1.connect({
        ...this.s.args,
        reconnectAttempts: 0,
        connectionTimeoutInSeconds: this.s.connectTimeoutMs / 1000,
      });
    } catch (err) {
      throw new Error(`Deepgram connection could not be set up: ${describe(err)}`);
    }
    this.attach(socket);
    this.streamBytes = 0;
    this.offsetBytes = 0;
    this.heardBytes = 0;
    this.finalizeOut = false;
    this.s.onConnection?.();
    socket.connect();
    const opened = await Promise.race([
      socket.waitForOpen().then(
        () => null,
        (err: unknown) => describe(err),
      ),
      whenAborted(this.halt.signal),
    ]);
    if (opened === null && !this.halt.signal.aborted) {
      this.open = true;
      return;
    }
    if (this.socket === socket) {
      this.detach?.();
      this.detach = null;
      this.socket = null;
    }
    socket.close();
    if (this.halt.signal.aborted) return;
    throw new Error(
      opened === 'TIMEOUT'
        ? `Deepgram did not accept the connection within ${this.s.connectTimeoutMs} ms`
        : `Deepgram refused the connection: ${opened}`,
    );
  }

  private onMessage(socket: ListenSocket, msg: unknown): void {
    if (socket !== this.socket || this.stopped || typeof msg !== 'object' || msg === null) return;
    const m = msg as DeepgramMessage;
    const bps = this.s.bytesPerSecond;
    if (m.type === 'Results') {
      const endByte = Math.floor(((m.start ?? 0) + (m.duration ?? 0)) * bps);
      // On a socket taken from the pool, what ends before this run's audio is the last run's.
      const ours = m.from_finalize ? this.finalizeOut : endByte > this.offsetBytes || this.offsetBytes === 0;
      if (!ours) return;
      const alt = m.channel?.alternatives?.[0];
      const text = alt?.transcript ?? '';
      if (m.is_final) {
        this.heardBytes = Math.max(this.heardBytes, endByte);
        this.replay.finalizedUpTo(endByte - this.offsetBytes);
        // A Finalize answer is passed on even when empty: it tells the transcript is complete.
        if (text || m.from_finalize) {
          const language = alt?.languages?.[0];
          this.emit(language ? { type: 'final', text, language } : { type: 'final', text });
        }
        if (m.from_finalize) this.finalizeAnswered = true;
        // Progress: a server that drops the stream again later gets the full reconnect budget.
        this.reconnectsInARow = 0;
      } else if (text) {
        this.emit({ type: 'interim', text });
      }
    } else if (m.type === 'UtteranceEnd') {
      if (this.offsetBytes > 0 && Math.floor((m.last_word_end ?? Infinity) * bps) <= this.offsetBytes) return;
      this.emit({ type: 'utterance_end' });
    }
    this.wake();
  }

  private onClose(socket: ListenSocket, code: number, reason: string): void {
    if (socket !== this.socket || !this.open || this.stopped) return;
    this.open = false;
    this.detach?.();
    this.detach = null;
    this.socket = null;
    if (this.closeStreamSent && (code === 1000 || this.finalizeAnswered)) {
      this.streamClosed = true;
      this.wake();
      return;
    }
    const cause = `${code}${reason ? ` ${reason}` : ''}`;
    if (NON_RETRYABLE_CLOSE_CODES.has(code)) this.fail(new Error(`Deepgram closed the stream (${cause})`));
    else this.reconnecting = this.reconnect(cause).finally(() => (this.reconnecting = null));
  }

  private async reconnect(cause: string): Promise<void> {
    let last = '';
    while (this.reconnectsInARow < this.s.maxReconnects) {
      const attempt = ++this.reconnectsInARow;
      await sleep(RECONNECT_BACKOFF_MS * 2 ** (attempt - 1), this.halt.signal);
      if (this.stopped || this.failure) return;
      try {
        await this.connect();
      } catch (err) {
        last = describe(err);
        continue;
      }
      if (this.stopped || this.failure) return;
      // Same tick as `open = true` in connect(): no chunk can slip between the replay and the live audio.
      for (const chunk of this.replay.restart()) this.sendAudio(chunk);
      if (this.finalizeSent && !this.finalizeAnswered) this.sendFinalize();
      if (this.closeStreamSent) this.send((s) => s.sendCloseStream({ type: 'CloseStream' }));
      this.wake();
      return;
    }
    const tries = this.s.maxReconnects;
    const why =
      tries === 0 ? 'reconnecting is off (maxReconnects 0)' : `${tries} reconnect(s) failed: ${last}`;
    this.fail(new Error(`Deepgram dropped the stream (${cause}); ${why}`));
  }

  private keepAlive(): void {
    if (!this.open || Date.now() - this.lastSendAt < this.s.keepAliveMs) return;
    this.send((s) => s.sendKeepAlive({ type: 'KeepAlive' }));
  }

  /** Sends on the current socket; a socket that just closed is left to its close handler. */
  private send(op: (s: ListenSocket) => void): boolean {
    const socket = this.socket;
    if (!socket || !this.open) return false;
    try {
      op(socket);
      this.lastSendAt = Date.now();
      return true;
    } catch {
      // "Socket is not open": the close event is on its way and will reconnect and replay.
      return false;
    }
  }

  /** Sends audio, moving the stream's clock. */
  private sendAudio(chunk: Uint8Array): void {
    if (this.send((s) => s.sendMedia(chunk))) this.streamBytes += chunk.byteLength;
  }

  private sendFinalize(): void {
    if (this.send((s) => s.sendFinalize({ type: 'Finalize' }))) this.finalizeOut = true;
  }

  private emit(ev: SttEvent): void {
    try {
      this.events.push(ev);
    } catch (err) {
      if (!(err instanceof ChannelFullError)) throw err;
      this.fail(new Error(`transcript consumer fell ${MAX_QUEUED_EVENTS} events behind`));
    }
  }

  /** Resolves true once `done()` holds, false after `ms`; also returns early when the run stops or fails. */
  private async until(done: () => boolean, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (this.stopped || this.failure) return false;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wakers.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  private wake(): void {
    for (const w of this.wakers.splice(0)) w();
  }
}

/** The fields of Deepgram's server messages the adapter reads. */
interface DeepgramMessage {
  type?: string;
  start?: number;
  duration?: number;
  is_final?: boolean;
  from_finalize?: boolean;
  /** UtteranceEnd: end of the last word, on the stream's clock. */
  last_word_end?: number;
  channel?: { alternatives?: { transcript?: string; languages?: string[] }[] };
}

function whenAborted(signal: AbortSignal): Promise<'stopped'> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve('stopped');
    else signal.addEventListener('abort', () => resolve('stopped'), { once: true });
  });
}

function describe(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err && typeof err.message === 'string')
    return err.message;
  return String(err);
}
