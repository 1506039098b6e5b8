/**
 * Cuts a stream of PCM16 chunks of any size into frames of a fixed number of samples. Each frame
 * is a fresh array the receiver may keep; less than one frame is held between pushes.
 */
export class Pcm16Framer {
  private frame: Int16Array;
  private filled = 0;

  constructor(readonly frameSamples: number) {
    this.frame = new Int16Array(frameSamples);
  }

  /** Copies `pcm` in and hands over each frame it completes, in order. */
  push(pcm: Int16Array, onFrame: (frame: Int16Array) => void): void {
    for (let off = 0; off < pcm.length;) {
      const take = Math.min(this.frameSamples - this.filled, pcm.length - off);
      this.frame.set(pcm.subarray(off, off + take), this.filled);
      this.filled += take;
      off += take;
      if (this.filled < this.frameSamples) return;
      const full = this.frame;
      this.frame = new Int16Array(this.frameSamples);
      this.filled = 0;
      onFrame(full);
    }
  }
}
