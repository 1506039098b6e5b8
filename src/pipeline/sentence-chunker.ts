/**
 * Splits streamed LLM text into pieces a TTS can speak well: whole sentences, or a clause once a
 * piece grows long, so the first audio does not wait for a long sentence to end.
 */

/** Past this many characters a piece is cut at the last comma or space. */
const MAX_PIECE_CHARS = 200;
/** A sentence end: terminal punctuation (optionally closed by a quote or bracket) then white space. */
const SENTENCE_END = /[.!?;:…](?:["')\]]*)\s+/g;

/** Accumulates text deltas and hands out speakable pieces. */
export class SentenceChunker {
  private pending = '';

  /** Adds a delta; returns the pieces it completed (possibly none). */
  push(delta: string): string[] {
    this.pending += delta;
    const out: string[] = [];
    let cut = 0;
    SENTENCE_END.lastIndex = 0;
    for (let m = SENTENCE_END.exec(this.pending); m; m = SENTENCE_END.exec(this.pending)) {
      const end = m.index + m[0].length;
      const piece = this.pending.slice(cut, end).trim();
      if (piece) out.push(piece);
      cut = end;
    }
    this.pending = this.pending.slice(cut);
    while (this.pending.length > MAX_PIECE_CHARS) {
      const window = this.pending.slice(0, MAX_PIECE_CHARS);
      const at = Math.max(window.lastIndexOf(', '), window.lastIndexOf(' '));
      const end = at > 0 ? at + 1 : MAX_PIECE_CHARS;
      const piece = this.pending.slice(0, end).trim();
      if (piece) out.push(piece);
      this.pending = this.pending.slice(end);
    }
    return out;
  }

  /** Returns what is left at the end of the stream. */
  flush(): string | null {
    const rest = this.pending.trim();
    this.pending = '';
    return rest || null;
  }
}
