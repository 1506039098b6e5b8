/**
 * Deepgram sockets kept open between one session's transcriptions. Each user turn is its own
 * transcription, and a new socket for each cost a TCP (and, in production, TLS) handshake and a
 * WebSocket upgrade per turn: about 6 % of the gateway's busy event loop at 100 sessions. A socket
 * whose last transcription ended cleanly (its `Finalize` answered, so no audio is left unheard) is
 * parked here instead of closed, kept alive with `KeepAlive` (Deepgram closes a socket that hears
 * nothing for 10 s, providers.md 1.5; it bills audio, not open time), and handed to the next
 * transcription with the same connection arguments. The stream's audio clock goes on across
 * transcriptions, so a parked socket carries how many audio bytes it has heard.
 */
import type { DeepgramClient } from '@deepgram/sdk';

/** The SDK's live socket. */
export type ListenSocket = Awaited<ReturnType<DeepgramClient['listen']['v1']['connect']>>;

/** A socket handed back by `take`, with the audio bytes its stream has heard so far. */
export interface ParkedSocket {
  socket: ListenSocket;
  streamBytes: number;
}

interface Parked extends ParkedSocket {
  key: string;
  parkedAt: number;
  lastKeepAliveAt: number;
  onClose: () => void;
}

/** Sockets parked for reuse, newest first, each with an idle deadline. */
export class ListenSocketPool {
  private readonly parked: Parked[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  /**
   * @param maxIdle most sockets kept; past it a socket offered is refused (the caller closes it).
   * @param idleMs a socket parked this long is closed.
   * @param keepAliveMs cadence of `KeepAlive` on parked sockets.
   */
  constructor(
    private readonly maxIdle: number,
    private readonly idleMs: number,
    private readonly keepAliveMs: number,
  ) {}

  /** Sockets parked now. */
  get size(): number {
    return this.parked.length;
  }

  /** The newest open socket parked under `key`, now the caller's; null when there is none. */
  take(key: string): ParkedSocket | null {
    for (let i = 0; i < this.parked.length; i++) {
      const p = this.parked[i]!;
      if (p.key !== key) continue;
      this.remove(i);
      if (!isOpen(p.socket)) {
        p.socket.close();
        continue;
      }
      return { socket: p.socket, streamBytes: p.streamBytes };
    }
    return null;
  }

  /**
   * Keeps an open socket for the next transcription under `key`. The caller must have removed its
   * own listeners. False when the pool is full or closed: the socket is still the caller's.
   */
  park(key: string, socket: ListenSocket, streamBytes: number): boolean {
    if (this.closed || this.parked.length >= this.maxIdle || !isOpen(socket)) return false;
    const now = Date.now();
    const entry: Parked = {
      key,
      socket,
      streamBytes,
      parkedAt: now,
      lastKeepAliveAt: now,
      // A parked socket that closes (the server's idle close, a network drop) just leaves the pool.
      onClose: () => {
        const at = this.parked.indexOf(entry);
        if (at >= 0) this.remove(at);
      },
    };
    socket.on('close', entry.onClose);
    // An error also ends in a close; this only keeps it handled while nobody else listens.
    socket.on('error', ignoreError);
    this.parked.unshift(entry);
    this.timer ??= setInterval(() => this.tick(), Math.max(1, Math.min(this.keepAliveMs, this.idleMs) / 2));
    // Parked sockets are spare capacity: they must not keep the process alive.
    this.timer.unref();
    return true;
  }

  /** Closes every parked socket; later offers are refused. */
  close(): void {
    this.closed = true;
    while (this.parked.length > 0) this.remove(0).socket.close();
  }

  private tick(): void {
    const now = Date.now();
    for (let i = this.parked.length - 1; i >= 0; i--) {
      const p = this.parked[i]!;
      if (now - p.parkedAt >= this.idleMs) {
        this.remove(i);
        p.socket.close();
      } else if (now - p.lastKeepAliveAt >= this.keepAliveMs) {
        p.lastKeepAliveAt = now;
        try {
          p.socket.sendKeepAlive({ type: 'KeepAlive' });
        } catch {
          // Not open any more: its close event takes it out.
        }
      }
    }
  }

  private remove(at: number): Parked {
    const [p] = this.parked.splice(at, 1);
    p!.socket.off('close', p!.onClose);
    p!.socket.off('error', ignoreError);
    if (this.parked.length === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    return p!;
  }
}

function ignoreError(): void {}

/** WebSocket.OPEN. */
const OPEN = 1;

function isOpen(socket: ListenSocket): boolean {
  return socket.readyState === OPEN;
}
