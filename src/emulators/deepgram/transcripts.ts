/**
 * What the emulator "hears": the next line of a script for each utterance, or a placeholder that
 * gives the utterance's duration, with word timings spread evenly over the speech. Deterministic:
 * the n-th final transcript with speech the emulator sends (on any connection) is line n.
 */

/** Audio-clock milliseconds per word shown in an interim result (about 150 words per minute). */
const INTERIM_MS_PER_WORD = 400;
/** Confidence reported for every emulated word and transcript. */
const CONFIDENCE = 0.99;

/**
 * A script line may name the language it is in (`[es] ¿Qué tal?`): with `language=multi` the
 * emulator then "detects" that language, so language switching can be tested offline.
 */
export function splitLanguageTag(line: string): { text: string; language?: string } {
  const m = /^\[([a-z]{2,3}(?:-[A-Za-z]{2})?)\]\s*/.exec(line);
  return m ? { text: line.slice(m[0].length), language: m[1] } : { text: line };
}

/** The placeholder transcript of an utterance when the script has no line for it. */
export function placeholderTranscript(speechSeconds: number): string {
  return `[${speechSeconds.toFixed(2)} seconds of speech]`;
}

/** One word of a Deepgram result. */
export interface ResultWord {
  word: string;
  start: number;
  end: number;
  confidence: number;
  punctuated_word: string;
  language?: string;
}

/** Rounds seconds to the millisecond, as Deepgram reports them. */
export function seconds(samples: number, sampleRate: number): number {
  return Math.round((samples / sampleRate) * 1000) / 1000;
}

/**
 * The words of `transcript` spread evenly over [startS, endS]. `word` is the token lower-cased
 * without punctuation (Deepgram's form); `punctuated_word` is the token as written.
 */
export function spreadWords(
  transcript: string,
  startS: number,
  endS: number,
  language?: string,
): ResultWord[] {
  const tokens = transcript.split(/\s+/).filter(Boolean);
  const step = tokens.length ? (endS - startS) / tokens.length : 0;
  return tokens.map((token, i) => ({
    word: token.toLowerCase().replace(/[^\p{L}\p{N}'-]+/gu, '') || token,
    start: Math.round((startS + i * step) * 1000) / 1000,
    end: Math.round((startS + (i + 1) * step) * 1000) / 1000,
    confidence: CONFIDENCE,
    punctuated_word: token,
    ...(language ? { language } : {}),
  }));
}

/** The confidence of a transcript: 0 for an empty one, as Deepgram reports silence. */
export function confidenceOf(transcript: string): number {
  return transcript ? CONFIDENCE : 0;
}

/** The script shared by every connection and request of one emulator. */
export class TranscriptScript {
  private readonly lines: readonly string[];
  private next = 0;

  /** Blank lines are skipped: a script file's trailing newline is not an utterance. */
  constructor(lines: readonly string[] = []) {
    this.lines = lines.map((l) => l.trim()).filter(Boolean);
  }

  /** The final transcript of the next utterance, consuming its script line. */
  take(speechSeconds: number): string {
    const line = this.lines[this.next];
    this.next++;
    return line ?? placeholderTranscript(speechSeconds);
  }

  /**
   * An interim transcript for the utterance in progress: the first words of the line it will get
   * (one per INTERIM_MS_PER_WORD of speech so far), or the placeholder for the speech so far.
   */
  peekInterim(speechSeconds: number): string {
    const line = this.lines[this.next];
    if (line === undefined) return placeholderTranscript(speechSeconds);
    const words = line.split(/\s+/);
    const shown = Math.max(1, Math.ceil((speechSeconds * 1000) / INTERIM_MS_PER_WORD));
    return words.slice(0, shown).join(' ');
  }
}
