/**
 * Gathers the WebSocket frames one connection sends within a tick into one socket write. `ws`
 * writes each frame at once (a writev per frame); a session often sends several in a tick (an
 * LLM read carrying a few tokens, a response's opening events, a burst of queued TTS audio), and
 * these syscalls were the largest share of the gateway's event-loop time after the audio work.
 * The socket is corked at the first send of a tick and uncorked when the tick's callbacks and
 * microtasks are done, so nothing waits past the work that produced it.
 */
import type { Writable } from 'node:stream';

/** Most bytes held in one tick: a few large deltas. */
const MAX_FLUSH_BYTES = 64 * 1024;

/**
 * The held bytes at which a burst is written early: at most a quarter of the high-water mark, so
 * bytes held for the tick never by themselves make the event writer pause a response.
 */
export function corkFlushBytesFor(limits: { outboundHighWaterBytes: number }): number {
  return Math.min(MAX_FLUSH_BYTES, Math.floor(limits.outboundHighWaterBytes / 4));
}

export class TickCork {
  private corked = false;

  /** `flushBytes`: past this many held bytes a burst is written at once, not at the tick's end. */
  constructor(
    private readonly socket: Writable,
    private readonly flushBytes: number,
  ) {}

  /** Call before each send on the socket. */
  hold(): void {
    const socket = this.socket;
    if (this.corked) {
      // A long burst in one tick: write what is held so the unsent-bytes reading stays near the truth.
      if (socket.writableLength >= this.flushBytes) {
        socket.uncork();
        socket.cork();
      }
      return;
    }
    if (socket.destroyed || socket.writableEnded) return;
    this.corked = true;
    socket.cork();
    process.nextTick(this.release);
  }

  private readonly release = (): void => {
    this.corked = false;
    this.socket.uncork();
  };
}
