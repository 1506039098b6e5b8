/**
 * Cross-stream batching of Silero windows at one sample rate. Each stream owns its recurrent
 * state and context and has at most one window in flight (the next window depends on the state
 * the previous one produced). The batcher gathers the windows of every stream that has one ready
 * and runs them as one batch: measured here, a 16 kHz window costs 0.25 ms alone and 0.10 ms in
 * a batch of 32 (scripts/bench-vad.ts).
 *
 * When to run: at once (in the same tick) when every open stream has a window queued or the
 * batch is full; otherwise after at most `maxWaitMs`, so streams whose audio arrives a moment
 * later can join. The queue holds at most one window per open stream, and open streams are capped.
 */
import type { SileroModel } from './model.js';
import { CONTEXT_SAMPLES, STATE_FLOATS, WINDOW_SAMPLES } from './model.js';

const STATE_WIDTH = STATE_FLOATS / 2;

/** Thrown by `open` when the batcher already serves `maxStreams` streams. */
export class VadCapacityError extends Error {
  constructor(readonly maxStreams: number) {
    super(`VAD is at capacity (${maxStreams} streams)`);
    this.name = 'VadCapacityError';
  }
}

/** Batching limits. */
export interface BatcherLimits {
  /** Windows per run. */
  maxBatch: number;
  /** Longest a queued window waits for others. */
  maxWaitMs: number;
  /** Open streams at this rate. */
  maxStreams: number;
}

/** One stream's handle: submit a window, get its probability. */
export interface BatchStream {
  /**
   * Queues `window` (exactly the rate's window size, floats in [-1, 1]; not modified until the
   * promise settles). Resolves with the speech probability, or null when the stream was closed.
   */
  infer(window: Float32Array): Promise<number | null>;
  /** Leaves the batcher; a queued window is dropped and its promise resolves null. */
  close(): void;
}

interface Pending {
  window: Float32Array;
  resolve: (p: number | null) => void;
  reject: (e: unknown) => void;
}

class StreamSlot implements BatchStream {
  readonly state = new Float32Array(STATE_FLOATS);
  readonly context: Float32Array;
  pending: Pending | null = null;
  closed = false;

  constructor(
    private readonly batcher: RateBatcher,
    contextSamples: number,
  ) {
    this.context = new Float32Array(contextSamples);
  }

  infer(window: Float32Array): Promise<number | null> {
    if (this.closed) return Promise.resolve(null);
    if (this.pending) return Promise.reject(new Error('VAD stream: one window at a time'));
    return new Promise((resolve, reject) => {
      this.pending = { window, resolve, reject };
      this.batcher.enqueue(this);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const p = this.pending;
    this.pending = null;
    this.batcher.leave(this);
    p?.resolve(null);
  }
}

/** Batches the windows of every stream at one sample rate onto one shared model. */
export class RateBatcher {
  private readonly windowSamples: number;
  private readonly contextSamples: number;
  private readonly rowSamples: number;
  private readonly queue: StreamSlot[] = [];
  private openStreams = 0;
  private running = false;
  private shutDown = false;
  private immediate: NodeJS.Immediate | null = null;
  /** A flush is queued as a microtask (a ready batch). */
  private flushQueued = false;
  private timer: NodeJS.Timeout | null = null;
  // Reused across runs: sized for a full batch, handed to the model as views.
  private readonly inputBuf: Float32Array;
  private readonly stateBuf: Float32Array;
  /** Windows, runs and time in the model so far (benchmarks read these). */
  readonly stats = { windows: 0, runs: 0, modelMs: 0 };

  constructor(
    private readonly model: SileroModel,
    readonly sampleRate: number,
    private readonly limits: BatcherLimits,
  ) {
    const w = WINDOW_SAMPLES[sampleRate];
    const c = CONTEXT_SAMPLES[sampleRate];
    if (!w || !c) throw new RangeError(`Silero VAD: unsupported sample rate ${sampleRate}`);
    this.windowSamples = w;
    this.contextSamples = c;
    this.rowSamples = w + c;
    this.inputBuf = new Float32Array(limits.maxBatch * this.rowSamples);
    this.stateBuf = new Float32Array(limits.maxBatch * STATE_FLOATS);
  }

  /** Opens a stream with fresh state; throws VadCapacityError past `maxStreams`. */
  open(): BatchStream {
    if (this.shutDown) throw new Error('Silero VAD: closed');
    if (this.openStreams >= this.limits.maxStreams) throw new VadCapacityError(this.limits.maxStreams);
    this.openStreams++;
    return new StreamSlot(this, this.contextSamples);
  }

  /** Streams open now. */
  get size(): number {
    return this.openStreams;
  }

  /** Ends every stream: queued windows resolve null and no run starts after this. */
  shutdown(): void {
    this.shutDown = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    for (const slot of this.queue.splice(0)) {
      const p = slot.pending;
      slot.pending = null;
      p?.resolve(null);
    }
  }

  /** @internal */
  enqueue(slot: StreamSlot): void {
    if (this.shutDown) {
      const p = slot.pending;
      slot.pending = null;
      p?.resolve(null);
      return;
    }
    if (slot.pending?.window.length !== this.windowSamples) {
      const p = slot.pending;
      slot.pending = null;
      p?.reject(new RangeError(`VAD window must be ${this.windowSamples} samples`));
      return;
    }
    this.queue.push(slot);
    this.schedule();
  }

  /** @internal */
  leave(slot: StreamSlot): void {
    this.openStreams--;
    const i = this.queue.indexOf(slot);
    if (i >= 0) this.queue.splice(i, 1);
    // One fewer stream to wait for: the rest may now be complete.
    if (this.queue.length > 0) this.schedule();
  }

  private schedule(): void {
    if (this.running || this.immediate || this.flushQueued || this.shutDown) return;
    const ready = this.queue.length >= this.openStreams || this.queue.length >= this.limits.maxBatch;
    if (ready) {
      // Nothing can join a batch that holds every open stream or is full, so it starts in this
      // tick: a check-phase hop costs a whole event-loop iteration per batch, and a stream that
      // fell behind catches up by only one window per batch (onnxruntime adds a hop of its own).
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        void this.flush();
      });
    } else if (this.limits.maxWaitMs <= 0) {
      this.immediate = setImmediate(() => {
        this.immediate = null;
        void this.flush();
      });
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        if (!this.immediate && !this.flushQueued) void this.flush();
      }, this.limits.maxWaitMs);
    }
  }

  private async flush(): Promise<void> {
    if (this.running || this.shutDown || this.queue.length === 0) return;
    this.running = true;
    const batch = this.queue.splice(0, this.limits.maxBatch);
    const n = batch.length;
    const row = this.rowSamples;
    const input = this.inputBuf.subarray(0, n * row);
    const state = this.stateBuf.subarray(0, n * STATE_FLOATS);
    for (let i = 0; i < n; i++) {
      const s = batch[i]!;
      input.set(s.context, i * row);
      input.set(s.pending!.window, i * row + this.contextSamples);
      // [2, n, 128]: layer 0 of every stream first, then layer 1.
      state.set(s.state.subarray(0, STATE_WIDTH), i * STATE_WIDTH);
      state.set(s.state.subarray(STATE_WIDTH), (n + i) * STATE_WIDTH);
    }
    try {
      const t = performance.now();
      const out = await this.model.run(this.sampleRate, n, input, state);
      this.stats.modelMs += performance.now() - t;
      this.stats.windows += n;
      this.stats.runs++;
      for (let i = 0; i < n; i++) {
        const s = batch[i]!;
        const p = s.pending;
        if (!p) continue; // closed while the batch ran
        s.pending = null;
        s.state.set(out.state.subarray(i * STATE_WIDTH, (i + 1) * STATE_WIDTH), 0);
        s.state.set(out.state.subarray((n + i) * STATE_WIDTH, (n + i + 1) * STATE_WIDTH), STATE_WIDTH);
        s.context.set(p.window.subarray(this.windowSamples - this.contextSamples));
        p.resolve(out.probabilities[i]!);
      }
    } catch (err) {
      for (const s of batch) {
        const p = s.pending;
        s.pending = null;
        p?.reject(err);
      }
    } finally {
      this.running = false;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
