/**
 * Joins a response's output audio into fewer, larger deltas once the client holds enough of it.
 *
 * TTS services stream small chunks (the emulated Cartesia 40 ms, the real one a few hundred bytes)
 * several times faster than they play, and each chunk sent as its own delta costs the gateway a
 * base64 encode, a JSON event and a socket write, and costs the client the same to read: at 100
 * sessions that was the largest share of the gateway's socket writes (measured with strace).
 *
 * The first delta and every delta while the client is short of audio go out at once, so time to
 * first audio is unchanged. Once the client holds at least `minLeadMs` beyond what it has played,
 * chunks are held and joined up to `maxDeltaMs`; a timer sends what is held before the client's
 * lead falls below `minLeadMs`, so a stall in the TTS never starves it. "Played" assumes playback
 * in real time from the first delta: the same clock the OpenAI Agents SDK uses to truncate on an
 * interruption (audio_end_ms = elapsed since the first delta, at most the audio received), which
 * therefore stays true.
 */

export interface PacerLimits {
  /** Most audio joined into one delta. */
  maxDeltaMs: number;
  /** Audio the client must hold ahead of its playback before any is held back. */
  minLeadMs: number;
}

export const DEFAULT_PACER_LIMITS: PacerLimits = { maxDeltaMs: 200, minLeadMs: 300 };

/** One response's output audio, paced into deltas. */
export class OutputAudioPacer {
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private sentMs = 0;
  private firstSentAt = -1;
  private timer: NodeJS.Timeout | null = null;
  private readonly maxDeltaBytes: number;

  constructor(
    private readonly bytesPerMs: number,
    private readonly send: (audio: Uint8Array) => void,
    private readonly limits: PacerLimits = DEFAULT_PACER_LIMITS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.maxDeltaBytes = Math.max(1, Math.floor(limits.maxDeltaMs * bytesPerMs));
  }

  /** Audio the client holds beyond its playback position, in ms. */
  private lead(): number {
    return this.firstSentAt < 0 ? 0 : this.sentMs - (this.now() - this.firstSentAt);
  }

  /** Takes a chunk: sent at once, or held to join the next ones. */
  push(audio: Uint8Array): void {
    if (audio.byteLength === 0) return;
    this.held.push(audio);
    this.heldBytes += audio.byteLength;
    const spare = this.lead() - this.limits.minLeadMs;
    if (spare <= 0 || this.heldBytes >= this.maxDeltaBytes) {
      this.flush();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush();
    }, spare);
  }

  /** Sends what is held (the TTS stream ended, or the client's lead ran down). */
  flush(): void {
    this.clearTimer();
    if (this.heldBytes === 0) return;
    const audio = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
    if (this.firstSentAt < 0) this.firstSentAt = this.now();
    this.sentMs += audio.byteLength / this.bytesPerMs;
    this.send(audio);
  }

  /** Drops what is held, unsent (the response was cancelled or failed). */
  stop(): void {
    this.clearTimer();
    this.held = [];
    this.heldBytes = 0;
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
