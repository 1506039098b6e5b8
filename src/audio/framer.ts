/**
 * Cuts a stream of PCM16 chunks of any size into frames of a fixed number of samples. Each frame
 * is the receiver's to keep: its samples are never written again. Less than one frame of audio is
 * held between pushes.
 *
 * Frames are cut from slabs of several frames: a typed array of a VAD window's size is a backing
 * store of its own (about 1 µs to make, and memory the GC tracks apart), and the VAD path made one
 * per window of every session. A slab lives as long as any frame cut from it, and is made when
 * the first sample needs it: a framer that is never pushed to holds nothing.
 */
const FRAMES_PER_SLAB = 8;
const EMPTY = new Int16Array(0);

export class Pcm16Framer {
  private slab = EMPTY;
  /** Where the frame being filled starts in the slab. */
  private start = 0;
  private filled = 0;

  constructor(readonly frameSamples: number) {}

  /** Samples held towards the next frame. */
  get held(): number {
    return this.filled;
  }

  /** Copies `pcm` in and hands over each frame it completes, in order. */
  push(pcm: Int16Array, onFrame: (frame: Int16Array) => void): void {
    const n = this.frameSamples;
    for (let off = 0; off < pcm.length;) {
      if (this.start === this.slab.length) {
        this.slab = new Int16Array(n * FRAMES_PER_SLAB);
        this.start = 0;
      }
      const take = Math.min(n - this.filled, pcm.length - off);
      this.slab.set(pcm.subarray(off, off + take), this.start + this.filled);
      this.filled += take;
      off += take;
      if (this.filled < n) return;
      const full = this.slab.subarray(this.start, this.start + n);
      this.filled = 0;
      this.start += n;
      onFrame(full);
    }
  }
}
