/**
 * When recent input appends arrived: the timeline end of each (ms of audio) and the wall clock, to
 * find when speech that ended at a given point of the timeline arrived in real time.
 *
 * A fixed ring of two Float64Arrays rather than an array of `{ endMs, at }`: at 50 appends a second
 * per session, such objects lived long enough (tens of seconds) to reach V8's old space and then
 * died there, the largest count of objects in the gateway's heap under `npm run bench:soak`
 * (about 1,900 objects and as many boxed doubles per session), and the churn that makes V8 hold
 * more old-space pages. The ring allocates nothing per append.
 */
export class AppendClock {
  private readonly endMs: Float64Array;
  private readonly at: Float64Array;
  /** Next slot to write. */
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.endMs = new Float64Array(capacity);
    this.at = new Float64Array(capacity);
  }

  /** Notes an append ending at `endMs` of the timeline, arrived at `at`; the oldest is forgotten when full. */
  push(endMs: number, at: number): void {
    this.endMs[this.next] = endMs;
    this.at[this.next] = at;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** Arrival time of the oldest remembered append that reached `endMs`; undefined when none did. */
  arrivalOf(endMs: number): number | undefined {
    const first = (this.next - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i++) {
      const slot = (first + i) % this.capacity;
      if (this.endMs[slot]! >= endMs) return this.at[slot];
    }
    return undefined;
  }
}
