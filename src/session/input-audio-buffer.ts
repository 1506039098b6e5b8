/** The uncommitted input audio of a session, bounded in duration. */

/** Appended audio chunks in the session's input format. */
export class InputAudioBuffer {
  private chunks: Uint8Array[] = [];
  private bytes = 0;

  constructor(
    private bytesPerMs: number,
    private readonly maxMs: number,
  ) {}

  /** Buffered duration. */
  get durationMs(): number {
    return this.bytes / this.bytesPerMs;
  }

  /** Buffered bytes. */
  get byteLength(): number {
    return this.bytes;
  }

  /** Adds a chunk; false (and nothing added) when it would pass the limit. */
  append(chunk: Uint8Array): boolean {
    if ((this.bytes + chunk.byteLength) / this.bytesPerMs > this.maxMs) return false;
    if (chunk.byteLength === 0) return true;
    this.chunks.push(chunk);
    this.bytes += chunk.byteLength;
    return true;
  }

  /** Empties the buffer and returns what it held. */
  take(): Uint8Array[] {
    const out = this.chunks;
    this.chunks = [];
    this.bytes = 0;
    return out;
  }

  /** Empties the buffer; a new input format takes effect here. */
  clear(bytesPerMs = this.bytesPerMs): void {
    this.chunks = [];
    this.bytes = 0;
    this.bytesPerMs = bytesPerMs;
  }
}
