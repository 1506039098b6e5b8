/**
 * Cross-stream batching of Silero windows at one sample rate. Each stream has an id; the model
 * keeps its recurrent state and context (model.ts), and the batcher tells it which ids closed.
 * The batcher gathers the windows of every stream that has some queued and runs them as one model
 * call: measured here, a 16 kHz window costs 0.25 ms alone and 0.10 ms in a batch of 32
 * (scripts/bench-vad.ts).
 *
 * A stream may queue several windows: they go into the same call as consecutive steps (the next
 * window needs the state the one before produced, so they cannot share a step). That way a
 * stream whose windows queued up while a call was out (the model runs in another process, and
 * the event loop may be late to read its answer) catches up in one call instead of one window
 * per call, which would leave it behind for good once calls take longer than a window's 32 ms.
 *
 * When to run: at once (in the same tick) when every open stream has a window queued or the
 * batch is full; otherwise when the queued window due first is due, so streams whose audio
 * arrives a moment later can join. A window is due `maxWaitMs` after it was queued, or
 * `relaxedWaitMs` after when its caller said nothing waits on its answer (no turn can start or end
 * on it): most windows are, so most runs gather many more streams, and each run costs a fixed
 * part (two process wake-ups, onnxruntime's own overhead per call) that a larger batch shares.
 * Open streams are capped, and the caller bounds each stream's queued windows.
 */
import type { SileroModel } from './model.js';
import type { VadRun } from '../types.js';
import { WINDOW_SAMPLES } from './model.js';

/** Stream ids, unique in the process so that models shared across rates never mix two streams. */
let lastStreamId = 0;

/** Thrown by `open` when the batcher already serves `maxStreams` streams. */
export class VadCapacityError extends Error {
  constructor(readonly maxStreams: number) {
    super(`VAD is at capacity (${maxStreams} streams)`);
    this.name = 'VadCapacityError';
  }
}

/** Batching limits. */
export interface BatcherLimits {
  /** Streams per run (windows per step). */
  maxBatch: number;
  /** Windows of one stream per run (steps); the rest wait for the next run. */
  maxSteps: number;
  /** Longest a queued window waits for others. */
  maxWaitMs: number;
  /** Longest a window queued as relaxed (nothing waits on its answer) waits; at least `maxWaitMs`. */
  relaxedWaitMs: number;
  /** Open streams at this rate. */
  maxStreams: number;
}

/** One stream's handle: submit a window, get its probability. */
export interface BatchStream {
  /**
   * Queues `window` (exactly the rate's window size of 16-bit samples; the batcher keeps it until
   * the window is answered, so it must not be written to afterwards). Windows are answered in
   * order. Resolves with the speech probability, or null when the stream was closed. A window
   * that is not `urgent` may wait up to `relaxedWaitMs` for other streams' windows.
   */
  infer(window: Int16Array, urgent?: boolean): Promise<number | null>;
  /** Leaves the batcher; queued windows are dropped and their promises resolve null. */
  close(): void;
}

interface Pending {
  window: Int16Array;
  /** When it was queued (performance.now()). */
  at: number;
  /** When its run should start at the latest (performance.now()). */
  due: number;
  resolve: (p: number | null) => void;
  reject: (e: unknown) => void;
}

class StreamSlot implements BatchStream {
  readonly id = ++lastStreamId;
  /** Has been in a run, so the model may hold its state. */
  ran = false;
  /** Windows not yet sent to the model, oldest first. */
  pending: Pending[] = [];
  /** In the batcher's queue (it has pending windows and is not in a run). */
  queued = false;
  /** In a run now: its windows' answers and new state are on their way. */
  running = false;
  closed = false;

  constructor(private readonly batcher: RateBatcher) {}

  infer(window: Int16Array, urgent = true): Promise<number | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const at = performance.now();
      this.pending.push({ window, at, due: at + this.batcher.waitMs(urgent), resolve, reject });
      this.batcher.enqueue(this);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.batcher.leave(this);
    for (const p of this.pending.splice(0)) p.resolve(null);
  }
}

/** Batches the windows of every stream at one sample rate onto one shared model. */
export class RateBatcher {
  private readonly windowSamples: number;
  private readonly queue: StreamSlot[] = [];
  private openStreams = 0;
  private running = false;
  private shutDown = false;
  private immediate: NodeJS.Immediate | null = null;
  /** A flush is queued as a microtask (a ready batch). */
  private flushQueued = false;
  private timer: NodeJS.Timeout | null = null;
  /** When the timer fires (performance.now()). */
  private timerDue = Infinity;
  /** `relaxedWaitMs`, never shorter than `maxWaitMs`. */
  private readonly relaxedWaitMs: number;
  /** Reused across runs: sized for a full batch of one step each, handed to the model as a view. */
  private readonly audioBuf: Int16Array;
  /** Streams closed since the last run: the model forgets them with the next one. */
  private closedIds: number[] = [];
  /** Windows, runs and time in the model so far (benchmarks read these). */
  readonly stats = { windows: 0, runs: 0, modelMs: 0 };

  constructor(
    private readonly model: SileroModel,
    readonly sampleRate: number,
    private readonly limits: BatcherLimits,
    /** Told of every answered run. */
    private readonly onRun?: (run: VadRun) => void,
  ) {
    const w = WINDOW_SAMPLES[sampleRate];
    if (!w) throw new RangeError(`Silero VAD: unsupported sample rate ${sampleRate}`);
    this.windowSamples = w;
    this.audioBuf = new Int16Array(limits.maxBatch * w);
    this.relaxedWaitMs = Math.max(limits.maxWaitMs, limits.relaxedWaitMs);
  }

  /** @internal How long a window may wait for others. */
  waitMs(urgent: boolean): number {
    return urgent ? this.limits.maxWaitMs : this.relaxedWaitMs;
  }

  /** Opens a stream with fresh state; throws VadCapacityError past `maxStreams`. */
  open(): BatchStream {
    if (this.shutDown) throw new Error('Silero VAD: closed');
    if (this.openStreams >= this.limits.maxStreams) throw new VadCapacityError(this.limits.maxStreams);
    this.openStreams++;
    return new StreamSlot(this);
  }

  /** Streams open now. */
  get size(): number {
    return this.openStreams;
  }

  /** Ends every stream: queued windows resolve null and no run starts after this. */
  shutdown(): void {
    this.shutDown = true;
    this.clearTimer();
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = null;
    for (const slot of this.queue.splice(0)) {
      slot.queued = false;
      for (const p of slot.pending.splice(0)) p.resolve(null);
    }
  }

  /** @internal */
  enqueue(slot: StreamSlot): void {
    const last = slot.pending[slot.pending.length - 1];
    if (this.shutDown) {
      slot.pending.pop();
      last?.resolve(null);
      return;
    }
    if (last && last.window.length !== this.windowSamples) {
      slot.pending.pop();
      last.reject(new RangeError(`VAD window must be ${this.windowSamples} samples`));
      return;
    }
    // A slot in a run is queued again when the run ends.
    if (!slot.queued && !slot.running) {
      slot.queued = true;
      this.queue.push(slot);
    }
    if (slot.queued) this.schedule(last?.due ?? 0);
  }

  /** @internal */
  leave(slot: StreamSlot): void {
    this.openStreams--;
    // Only streams that ran have state to forget, so the list is bounded by the streams of one run.
    if (slot.ran) this.closedIds.push(slot.id);
    if (slot.queued) {
      slot.queued = false;
      this.queue.splice(this.queue.indexOf(slot), 1);
    }
    // One fewer stream to wait for: the rest may now be complete.
    if (this.queue.length > 0) this.schedule(this.firstDue());
  }

  /** When the queued window due first is due. */
  private firstDue(): number {
    let due = Infinity;
    for (const slot of this.queue) for (const p of slot.pending) due = Math.min(due, p.due);
    return due;
  }

  /** Starts a run at once when nothing more can join it, else by `due` (performance.now()). */
  private schedule(due: number): void {
    if (this.running || this.immediate || this.flushQueued || this.shutDown) return;
    const ready = this.queue.length >= this.openStreams || this.queue.length >= this.limits.maxBatch;
    if (ready) {
      // Nothing can join a batch that holds every open stream or is full, so it starts in this
      // tick: a check-phase hop costs a whole event-loop iteration per batch.
      this.clearTimer();
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        void this.flush();
      });
      return;
    }
    // A timer already set for this or an earlier time serves.
    if (due >= this.timerDue) return;
    this.clearTimer();
    const wait = due - performance.now();
    if (wait <= 0 && this.limits.maxWaitMs <= 0) {
      this.immediate = setImmediate(() => {
        this.immediate = null;
        void this.flush();
      });
      return;
    }
    this.timerDue = due;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.timerDue = Infinity;
        if (!this.immediate && !this.flushQueued) void this.flush();
      },
      Math.max(1, wait),
    );
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerDue = Infinity;
  }

  /** Tells `onRun` of an answered run; a failing listener never fails the run's windows. */
  private report(taken: readonly Pending[][], windows: number, answeredAt: number): void {
    // Each stream's first taken window is its oldest.
    let oldest = answeredAt;
    for (const k of taken) oldest = Math.min(oldest, k[0]?.at ?? oldest);
    try {
      this.onRun?.({ sampleRate: this.sampleRate, windows, queuedMs: answeredAt - oldest });
    } catch {
      // Metrics are not worth a session's turn detection.
    }
  }

  private async flush(): Promise<void> {
    if (this.running || this.shutDown || this.queue.length === 0) return;
    this.running = true;
    const batch = this.queue.splice(0, this.limits.maxBatch);
    const w = this.windowSamples;
    const taken = batch.map((s) => {
      s.queued = false;
      s.running = true;
      s.ran = true;
      return s.pending.splice(0, this.limits.maxSteps);
    });
    const ids = batch.map((s) => s.id);
    const counts = taken.map((t) => t.length);
    let windows = 0;
    for (const k of counts) windows += k;
    const audio =
      windows * w <= this.audioBuf.length
        ? this.audioBuf.subarray(0, windows * w)
        : new Int16Array(windows * w);
    let at = 0;
    for (const t of taken)
      for (const p of t) {
        audio.set(p.window, at);
        at += w;
      }
    const forget = this.closedIds;
    this.closedIds = [];
    try {
      const t = performance.now();
      const probabilities = await this.model.run(this.sampleRate, ids, counts, audio, forget);
      const answeredAt = performance.now();
      this.stats.modelMs += answeredAt - t;
      this.stats.windows += windows;
      this.stats.runs++;
      for (let i = 0, first = 0; i < batch.length; first += counts[i]!, i++) {
        // A closed stream's windows resolve null in the finally below.
        if (!batch[i]!.closed) taken[i]!.forEach((p, k) => p.resolve(probabilities[first + k]!));
      }
      if (this.onRun) this.report(taken, windows, answeredAt);
    } catch (err) {
      for (const t of taken) for (const p of t) p.reject(err);
    } finally {
      this.running = false;
      batch.forEach((s, i) => {
        s.running = false;
        if (s.closed) for (const p of taken[i]!) p.resolve(null);
        else if (this.shutDown) for (const p of s.pending.splice(0)) p.resolve(null);
        else if (s.pending.length > 0) {
          s.queued = true;
          this.queue.push(s);
        }
      });
      if (this.queue.length > 0) this.schedule(this.firstDue());
    }
  }
}
