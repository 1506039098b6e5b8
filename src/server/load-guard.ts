/**
 * Whether the event loop has room for another session. Past its capacity a gateway does not fail:
 * every open session's turns get later together, seconds late with no error at all (Capacity in
 * the README). Refusing the next session keeps the open ones on time, and `/readyz` tells a load
 * balancer to send it elsewhere.
 *
 * The measure is event-loop utilization (the share of wall time the loop spent running rather
 * than waiting for I/O) over the last few seconds: it reads the gateway's own saturation whatever
 * else runs on the machine, where CPU load would also count the neighbours.
 *
 * A reading over seconds lags a fast ramp: sessions admitted in those seconds have not loaded the
 * loop yet, and admitting more on the strength of it overshoots (at 25 new sessions a second, 347
 * were admitted under a 0.8 threshold and the loop ran 0.92 busy). So the guard scales the reading
 * by the sessions open now over those the window saw on average, counting each new session at the
 * window's cost per session before its load shows.
 */
import { performance } from 'node:perf_hooks';

/** Cumulative busy and idle time of the event loop, in ms (`performance.eventLoopUtilization()`). */
export interface LoopTimes {
  active: number;
  idle: number;
}

/** How the guard reads the event loop; tests pass their own. */
export type LoopSampler = () => LoopTimes;

/** One reading: the loop's times and the sessions open then. */
interface Sample {
  times: LoopTimes;
  sessions: number;
}

/**
 * Utilization is judged from the newest sample at least this old: over 5 to 6 s, since samples
 * come once a second (later when the loop is saturated, which the age rule absorbs).
 */
export const LOAD_WINDOW_MS = 5_000;
/** Samples are kept this often. */
const SAMPLE_EVERY_MS = 1_000;
/** Less time than this since the first sample says nothing yet (a burst of connections is not load). */
const MIN_SPAN_MS = 1_000;
/**
 * The projection scales the reading by at most this. It prices new sessions at the window's cost
 * per session, which is too high when much of the loop's work is not the sessions' (a few heavy
 * clients, the emulators in offline mode). Twice is enough to refuse: projecting starts at half
 * the threshold.
 */
const MAX_PROJECTION_RATIO = 2;

/** One reading of the guard, all from one look at the loop. */
export interface LoadReading {
  /** Busy share of the window, 0 to 1. */
  utilization: number;
  /** `utilization` scaled to the sessions open now; may exceed 1 (more than the loop can run). */
  projected: number;
  /** `projected` at or over the threshold (never at threshold 0). */
  overloaded: boolean;
}

/** Event-loop utilization over a sliding window, against a threshold. */
export class EventLoopLoad {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | null = null;

  /** `threshold` 0 never reports overload. `sessions`: how many are open (none given: no projection). */
  constructor(
    readonly threshold: number,
    private readonly sample: LoopSampler = () => performance.eventLoopUtilization(),
    private readonly sessions: () => number = () => 0,
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

  /**
   * Keeps a sample and forgets those the window no longer needs, by age in the loop's own time
   * (busy plus idle is the wall time it ran). Called by the timer; tests call it.
   */
  keep(): void {
    const now = this.sample();
    this.samples.push({ times: now, sessions: this.sessions() });
    const end = now.active + now.idle;
    while (this.samples.length > 1 && end - elapsed(this.samples[1]!.times) >= LOAD_WINDOW_MS)
      this.samples.shift();
  }

  /**
   * Utilization from the oldest kept sample to now, 0 to 1 in steps of 0.001; 0 before `start`
   * and while the span is too short to tell.
   */
  get utilization(): number {
    const from = this.samples[0]?.times;
    if (!from) return 0;
    const now = this.sample();
    const span = elapsed(now) - elapsed(from);
    return span < MIN_SPAN_MS ? 0 : round3((now.active - from.active) / span);
  }

  /**
   * The reading, and the utilization the sessions open now will bring: the reading times the
   * sessions now over the window's average, when there are more now (at most twice the reading).
   * Only from half the threshold up: a quiet loop's own work (timers, GC) spread over a few
   * sessions would price each far too high, and a burst of calls to a quiet server is not an
   * overload. Fewer sessions now is left to the reading, which falls as the window slides (erring
   * towards refusing a little longer). At threshold 0 the guard is off and nothing is projected.
   */
  read(): LoadReading {
    const utilization = this.utilization;
    const projected = this.project(utilization);
    return { utilization, projected, overloaded: this.threshold > 0 && projected >= this.threshold };
  }

  /** The projection at or over the threshold: new sessions wait for another server. */
  get overloaded(): boolean {
    return this.read().overloaded;
  }

  private project(u: number): number {
    const n = this.samples.length;
    if (this.threshold === 0 || u < this.threshold / 2 || n === 0) return u;
    const mean = this.samples.reduce((sum, s) => sum + s.sessions, 0) / n;
    const open = this.sessions();
    return mean > 0 && open > mean ? round3(u * Math.min(open / mean, MAX_PROJECTION_RATIO)) : u;
  }
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The loop's running time up to a sample. */
const elapsed = (t: LoopTimes): number => t.active + t.idle;
