/**
 * The uncommitted input audio of a session, bounded in duration, placed on the session's input
 * timeline (milliseconds of audio appended since the session began, across format changes), so
 * server VAD can cut a turn out of it by time.
 */
import { ByteBlocks, joinOwned } from '../audio/byte-blocks.js';

/** Appended audio chunks in the session's input format. */
export class InputAudioBuffer {
  /** Views of the appended audio, copied into blocks of the buffer's own (byte-blocks.ts). */
  private chunks: Uint8Array[] = [];
  private readonly blocks = new ByteBlocks();
  private bytes = 0;
  /** Timeline position of the first buffered byte, in bytes of the current format since `baseMs`. */
  private startByte = 0;
  /** Bytes appended since the current format began. */
  private appended = 0;
  /** Timeline position where the current format began. */
  private baseMs = 0;

  constructor(
    private bytesPerMs: number,
    private readonly maxMs: number,
    /** Bytes per sample: cuts fall on sample boundaries. */
    private sampleBytes: number,
  ) {}

  /** Buffered duration. */
  get durationMs(): number {
    return this.bytes / this.bytesPerMs;
  }

  /** Buffered bytes. */
  get byteLength(): number {
    return this.bytes;
  }

  /** Timeline position of the end of the appended audio. */
  get endMs(): number {
    return this.baseMs + this.appended / this.bytesPerMs;
  }

  /** Timeline position of the first buffered byte. */
  get startMs(): number {
    return this.baseMs + this.startByte / this.bytesPerMs;
  }

  /** Adds a chunk; false (and nothing added) when it would pass the limit. */
  append(chunk: Uint8Array): boolean {
    if ((this.bytes + chunk.byteLength) / this.bytesPerMs > this.maxMs) return false;
    if (chunk.byteLength === 0) return true;
    this.blocks.appendTo(this.chunks, chunk);
    this.bytes += chunk.byteLength;
    this.appended += chunk.byteLength;
    return true;
  }

  /** Empties the buffer and returns what it held. */
  take(): Uint8Array[] {
    const out = this.chunks;
    this.chunks = [];
    this.startByte += this.bytes;
    this.bytes = 0;
    return out;
  }

  /** Empties the buffer; a new input format (its bytes per ms and sample size) takes effect here. */
  clear(bytesPerMs = this.bytesPerMs, sampleBytes = this.sampleBytes): void {
    this.drop(this.bytes);
    if (bytesPerMs !== this.bytesPerMs) {
      this.baseMs = this.endMs;
      this.appended = 0;
      this.startByte = 0;
      this.bytesPerMs = bytesPerMs;
      this.sampleBytes = sampleBytes;
    }
  }

  /** Drops the audio before timeline position `ms`. */
  dropBefore(ms: number): void {
    this.drop(this.offsetOf(ms));
  }

  /** Copies the audio from timeline position `ms` to the end. */
  copyFrom(ms: number): Uint8Array {
    return joinOwned(this.chunks, this.offsetOf(ms));
  }

  /** Takes the audio between two timeline positions and drops everything before the second. */
  takeRange(fromMs: number, toMs: number): Uint8Array {
    // Each an array of its own, not a slice of Node's pool nor of the other: the taken audio is
    // kept with its item (and not copied again there), the tail is the buffer's next audio.
    const from = this.offsetOf(fromMs);
    const to = Math.max(from, this.offsetOf(toMs));
    const out = joinOwned(this.chunks, from, to);
    this.chunks = to < this.bytes ? [joinOwned(this.chunks, to)] : [];
    this.startByte += to;
    this.bytes -= to;
    return out;
  }

  /** Where timeline position `ms` falls in the buffered bytes (clamped to them). */
  private offsetOf(ms: number): number {
    return Math.min(this.bytes, Math.max(0, this.byteAt(ms) - this.startByte));
  }

  private drop(count: number): void {
    if (count <= 0) return;
    // Called on every append while VAD trims the idle buffer: whole views go, or the first is cut
    // shorter; nothing is copied.
    let left = count;
    while (left > 0 && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      if (first.byteLength <= left) {
        this.chunks.shift();
        left -= first.byteLength;
      } else {
        this.chunks[0] = first.subarray(left);
        left = 0;
      }
    }
    this.startByte += count;
    this.bytes -= count;
  }

  /** The byte offset (since the format began) of a timeline position, on a sample boundary. */
  private byteAt(ms: number): number {
    const raw = Math.round((ms - this.baseMs) * this.bytesPerMs);
    return Math.floor(raw / this.sampleBytes) * this.sampleBytes;
  }
}
