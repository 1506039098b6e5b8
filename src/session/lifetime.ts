/**
 * A session's two clocks: its maximum duration, and its idle timeout (no client event and no
 * active response for that long). Either ends the session through `onExpire`.
 */

/** Why a session's time ran out. */
export type ExpiryReason = 'max_duration' | 'idle';

/** Options of `SessionLifetime`. */
export interface LifetimeOptions {
  maxDurationMs: number;
  /** 0: no idle timeout. */
  idleTimeoutMs: number;
  /** Whether a response is running (a running response is not idleness). */
  busy: () => boolean;
  onExpire: (reason: ExpiryReason) => void;
}

/** The timers of one session. */
export class SessionLifetime {
  private durationTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private lastActivityAt = performance.now();

  constructor(private readonly o: LifetimeOptions) {}

  /** Starts both clocks. */
  start(): void {
    this.durationTimer = setTimeout(() => this.o.onExpire('max_duration'), this.o.maxDurationMs);
    this.durationTimer.unref();
    this.touch();
    this.armIdle(this.o.idleTimeoutMs);
  }

  /** Something happened (a client event, a response ending): the idle clock restarts. */
  touch(): void {
    this.lastActivityAt = performance.now();
  }

  /** Stops both clocks. */
  stop(): void {
    if (this.durationTimer) clearTimeout(this.durationTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.durationTimer = this.idleTimer = null;
  }

  // One timer checked when it fires, not one reset per event: appends arrive 50 times a second.
  private armIdle(ms: number): void {
    if (this.o.idleTimeoutMs <= 0) return;
    this.idleTimer = setTimeout(() => this.checkIdle(), ms);
    this.idleTimer.unref();
  }

  private checkIdle(): void {
    this.idleTimer = null;
    if (this.o.busy()) {
      this.touch();
      return this.armIdle(this.o.idleTimeoutMs);
    }
    const idleForMs = performance.now() - this.lastActivityAt;
    // A timer may fire a hair early; 1 ms of slack keeps it from re-arming for nothing.
    if (idleForMs >= this.o.idleTimeoutMs - 1) return this.o.onExpire('idle');
    this.armIdle(this.o.idleTimeoutMs - idleForMs);
  }
}
