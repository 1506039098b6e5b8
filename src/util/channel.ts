/**
 * A bounded async queue: producers `push` or `send`, one consumer iterates. It is the one
 * hand-made stream type in the project, used to feed a stage's input iterable.
 */

/** Thrown by `push` when the channel is full; the caller owns the overflow policy. */
export class ChannelFullError extends Error {
  constructor(readonly capacity: number) {
    super(`channel is full (capacity ${capacity})`);
  }
}

/** A single-consumer async queue with a capacity. */
export class Channel<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: ((r: IteratorResult<T>) => void) | null = null;
  private readonly roomWaiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly capacity: number) {}

  /** Queues a value; throws `ChannelFullError` past capacity. A push after `close` is dropped. */
  push(value: T): void {
    if (this.closed) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w({ value, done: false });
      return;
    }
    if (this.items.length >= this.capacity) throw new ChannelFullError(this.capacity);
    this.items.push(value);
  }

  /** Queues a value, waiting for room first (backpressure). Resolves at once after `close`. */
  async send(value: T): Promise<void> {
    while (!this.closed && !this.waiter && this.items.length >= this.capacity) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    this.push(value);
  }

  /** Ends the stream once queued values are consumed; waiting senders are released. */
  close(): void {
    this.closed = true;
    for (const wake of this.roomWaiters.splice(0)) wake();
    if (this.waiter && this.items.length === 0) {
      const w = this.waiter;
      this.waiter = null;
      w({ value: undefined, done: true });
    }
  }

  /** Number of queued values. */
  get size(): number {
    return this.items.length;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.items.length > 0) {
          const value = this.items.shift() as T;
          this.roomWaiters.shift()?.();
          return Promise.resolve({ value, done: false });
        }
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiter = resolve;
        });
      },
      return: () => {
        this.close();
        this.items.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
