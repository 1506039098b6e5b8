/**
 * The audio sent on a Deepgram stream that no final Result covers yet. When the socket drops, a new
 * connection gets this audio first, so the utterance in progress is transcribed whole.
 */

import { ByteBlocks } from '../../audio/byte-blocks.js';

/** Audio not yet covered by a final, with its place on the current connection's byte clock. */
export class ReplayBuffer {
  /** Views of the kept audio, copied into blocks of the buffer's own (byte-blocks.ts). */
  private chunks: Uint8Array[] = [];
  private readonly blocks = new ByteBlocks();
  private keptBytes = 0;
  /** Offset of the first kept byte on the current connection's byte clock. */
  private startByte = 0;

  /**
   * @param maxBytes bound on the kept audio; the oldest goes first past it.
   * @param sampleBytes bytes per sample: every cut falls on a sample boundary.
   */
  constructor(
    private readonly maxBytes: number,
    private readonly sampleBytes: number,
  ) {}

  /** Bytes kept. */
  get size(): number {
    return this.keptBytes;
  }

  /** Keeps a chunk that was (or, while reconnecting, will be) sent. */
  add(chunk: Uint8Array): void {
    this.blocks.appendTo(this.chunks, chunk);
    this.keptBytes += chunk.byteLength;
    const over = this.keptBytes - this.maxBytes;
    if (over > 0) this.dropFront(Math.ceil(over / this.sampleBytes) * this.sampleBytes);
  }

  /** A final covered the current connection's audio up to `endByte`: that audio is done with. */
  finalizedUpTo(endByte: number): void {
    const aligned = Math.floor(endByte / this.sampleBytes) * this.sampleBytes;
    this.dropFront(Math.min(this.keptBytes, aligned - this.startByte));
  }

  /** A new connection starts: the kept audio is replayed on it from its byte 0. Returns that audio. */
  restart(): Uint8Array[] {
    this.startByte = 0;
    return [...this.chunks];
  }

  private dropFront(bytes: number): void {
    let left = bytes;
    while (left > 0 && this.chunks.length > 0) {
      const head = this.chunks[0] as Uint8Array;
      if (head.byteLength <= left) {
        this.chunks.shift();
        left -= head.byteLength;
        this.keptBytes -= head.byteLength;
        this.startByte += head.byteLength;
      } else {
        this.chunks[0] = head.subarray(left);
        this.keptBytes -= left;
        this.startByte += left;
        left = 0;
      }
    }
  }
}
