/**
 * Whether the event loop has room for another session. Past its capacity a gateway does not fail:
 * every open session's turns get later together, seconds late with no error at all (Capacity in
 * the README). Refusing the next session keeps the open ones on time, and `/readyz` tells a load
 * balancer to send it elsewhere.
 *
 * The measure is event-loop utilization (the share of wall time the loop spent running rather
 * than waiting for I/O) over the last few seconds: it reads the gateway's own saturation whatever
 * else runs on the machine, where CPU load would also count the neighbours.
 */
import { performance } from 'node:perf_hooks';

/** Cumulative busy and idle time of the event loop, in ms (`performance.eventLoopUtilization()`). */
export interface LoopTimes {
  active: number;
  idle: number;
}

/** How the guard reads the event loop; tests pass their own. */
export type LoopSampler = () => LoopTimes;

/** Utilization is judged over about this much recent time. */
export const LOAD_WINDOW_MS = 5_000;
/** Samples are kept this often; the window slides by this much. */
const SAMPLE_EVERY_MS = 1_000;
/** Less time than this since the first sample says nothing yet (a burst of connections is not load). */
const MIN_SPAN_MS = 1_000;

/** Event-loop utilization over a sliding window, against a threshold. */
export class EventLoopLoad {
  private readonly samples: LoopTimes[] = [];
  private timer: NodeJS.Timeout | null = null;

  /** `threshold` 0 never reports overload. */
  constructor(
    readonly threshold: number,
    private readonly sample: LoopSampler = () => performance.eventLoopUtilization(),
  ) {
    if (!(threshold >= 0 && threshold <= 1))
      throw new RangeError(`load threshold must be 0 to 1, got ${threshold}`);
  }

  /**
   * Starts sampling (a timer that does not keep the process alive). Called once the gateway
   * listens: loading providers before that is not load. At threshold 0 it still samples, for the
   * gauge and `/readyz`.
   */
  start(): void {
    if (this.timer) return;
    this.keep();
    this.timer = setInterval(() => this.keep(), SAMPLE_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Keeps a sample, forgetting those older than the window. Called by the timer; tests call it. */
  keep(): void {
    this.samples.push(this.sample());
    while (this.samples.length > LOAD_WINDOW_MS / SAMPLE_EVERY_MS + 1) this.samples.shift();
  }

  /** Utilization from the oldest kept sample to now, 0 to 1; 0 before `start` and while the span is too short to tell. */
  get utilization(): number {
    const from = this.samples[0];
    if (!from) return 0;
    const now = this.sample();
    const active = now.active - from.active;
    const span = active + (now.idle - from.idle);
    return span < MIN_SPAN_MS ? 0 : active / span;
  }

  /** At or over the threshold: new sessions wait for another server. */
  get overloaded(): boolean {
    return this.threshold > 0 && this.utilization >= this.threshold;
  }
}
