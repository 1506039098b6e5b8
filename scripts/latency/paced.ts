/** A timer that fires every `periodMs` of wall time from its start, catching up late ticks at once so it never drifts. */
import { performance } from 'node:perf_hooks';

/** Calls `onTick(n, latenessMs)` for tick n = 0, 1, 2... at t0 + n * periodMs. */
export class PacedTicker {
  private timer: NodeJS.Timeout | null = null;
  private t0 = 0;
  private n = 0;

  constructor(
    private readonly periodMs: number,
    private readonly onTick: (n: number, latenessMs: number) => void,
  ) {}

  start(): void {
    this.t0 = performance.now();
    this.tick();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private tick(): void {
    const now = performance.now();
    while (this.t0 + this.n * this.periodMs <= now) {
      this.onTick(this.n, now - (this.t0 + this.n * this.periodMs));
      this.n++;
    }
    this.timer = setTimeout(() => this.tick(), this.t0 + this.n * this.periodMs - performance.now());
  }
}
