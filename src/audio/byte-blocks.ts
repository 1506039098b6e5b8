/**
 * Keeps audio chunks in arrays of its own for as long as a turn lasts.
 *
 * A decoded 20 ms append, or a joined 100 ms STT frame, is usually a slice of Node's shared 8 KiB
 * Buffer pool. Held for the seconds of a turn, each slice keeps its whole slab alive past the young
 * generation, so the slabs are promoted and die in old space, where only a full GC frees them:
 * with 100 sessions the append Buffers were the largest group of objects that outlived the young
 * generation (sampled with the heap profiler, keeping only objects freed by full GCs). Copied here,
 * the pool's slices die young, and consecutive chunks become one view per block.
 */

/** Block size: 2 s of G.711, a third of a second of 24 kHz PCM. */
export const BLOCK_BYTES = 16 * 1024;

/** Append-only blocks: a block is never written twice, so every view handed out stays valid. */
export class ByteBlocks {
  private block = new Uint8Array(0);
  private used = 0;

  constructor(private readonly blockBytes = BLOCK_BYTES) {}

  /**
   * Appends a copy of `chunk` to `chunks`: it extends the last view when the copy follows it in
   * the same block. A chunk that owns its whole buffer is kept as it is; one larger than a quarter
   * block gets an array of its own.
   */
  appendTo(chunks: Uint8Array[], chunk: Uint8Array): void {
    const n = chunk.byteLength;
    if (n === 0) return;
    if (ownsBuffer(chunk)) {
      chunks.push(chunk);
      return;
    }
    if (n > this.blockBytes / 4) {
      const own = new Uint8Array(n);
      own.set(chunk);
      chunks.push(own);
      return;
    }
    if (this.used + n > this.block.byteLength) {
      this.block = new Uint8Array(this.blockBytes);
      this.used = 0;
    }
    const at = this.used;
    this.block.set(chunk, at);
    this.used += n;
    const last = chunks[chunks.length - 1];
    if (last && last.buffer === this.block.buffer && last.byteOffset + last.byteLength === at)
      chunks[chunks.length - 1] = new Uint8Array(this.block.buffer, last.byteOffset, last.byteLength + n);
    else chunks.push(new Uint8Array(this.block.buffer, at, n));
  }
}

/** Whether the chunk spans its whole buffer (so it pins no memory beyond its own bytes). */
export function ownsBuffer(chunk: Uint8Array): boolean {
  return chunk.byteOffset === 0 && chunk.buffer.byteLength === chunk.byteLength;
}

/**
 * Bytes `from` to `to` of the chunks joined (all of them by default), copied into one new array
 * that shares memory with nothing else.
 */
export function joinOwned(chunks: readonly Uint8Array[], from = 0, to = Infinity): Uint8Array {
  let total = 0;
  for (const c of chunks) total += c.byteLength;
  const end = Math.min(to, total);
  const out = new Uint8Array(Math.max(0, end - from));
  let at = 0;
  for (const c of chunks) {
    const lo = Math.max(from - at, 0);
    const hi = Math.min(end - at, c.byteLength);
    if (hi > lo) out.set(lo === 0 && hi === c.byteLength ? c : c.subarray(lo, hi), at + lo - from);
    at += c.byteLength;
    if (at >= end) break;
  }
  return out;
}
