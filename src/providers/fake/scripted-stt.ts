/**
 * An in-process STT: each utterance gets the next line of a script, or, past the script, a
 * placeholder that names the audio's duration.
 */
import { sleep } from '../../util/abort.js';
import { STT_FLUSH } from '../types.js';
import type { SttEvent, SttOptions, SttStage } from '../types.js';

/** An STT stage driven by a list of transcripts. */
export class ScriptedStt implements SttStage {
  readonly label = 'fake.stt';
  private next = 0;

  constructor(
    /** Transcripts in order; an entry may also name the language the STT reports. */
    private readonly script: readonly (string | { text: string; language: string })[] = [],
    private readonly finalDelayMs = 0,
  ) {}

  /** Transcripts given so far. */
  get finals(): number {
    return this.next;
  }

  async *transcribe(
    audio: AsyncIterable<Uint8Array>,
    opts: SttOptions,
    signal: AbortSignal,
  ): AsyncIterable<SttEvent> {
    let bytes = 0;
    let finals = 0;
    const bytesPerMs = (opts.audio.sampleRate / 1000) * (opts.audio.encoding === 'pcm16' ? 2 : 1);
    const final = (): SttEvent => {
      const line = this.script[this.next] ?? `[${Math.round(bytes / bytesPerMs)} ms of audio]`;
      this.next++;
      finals++;
      return typeof line === 'string' ? { type: 'final', text: line } : { type: 'final', ...line };
    };
    for await (const chunk of audio) {
      if (signal.aborted) return;
      // A flush finalizes the utterance now; the audio after it adds nothing in this fake.
      if (chunk === STT_FLUSH && finals === 0) {
        if (this.finalDelayMs > 0) await sleep(this.finalDelayMs, signal);
        if (signal.aborted) return;
        yield final();
      }
      bytes += chunk.byteLength;
    }
    if (finals > 0) return;
    if (this.finalDelayMs > 0) await sleep(this.finalDelayMs, signal);
    if (signal.aborted) return;
    yield final();
    yield { type: 'utterance_end' };
  }
}
