/**
 * An in-process STT: each utterance gets the next line of a script, or, past the script, a
 * placeholder that names the audio's duration.
 */
import { sleep } from '../../util/abort.js';
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

  async *transcribe(
    audio: AsyncIterable<Uint8Array>,
    opts: SttOptions,
    signal: AbortSignal,
  ): AsyncIterable<SttEvent> {
    let bytes = 0;
    for await (const chunk of audio) {
      if (signal.aborted) return;
      bytes += chunk.byteLength;
    }
    if (this.finalDelayMs > 0) await sleep(this.finalDelayMs, signal);
    if (signal.aborted) return;
    const bytesPerMs = (opts.audio.sampleRate / 1000) * (opts.audio.encoding === 'pcm16' ? 2 : 1);
    const line = this.script[this.next] ?? `[${Math.round(bytes / bytesPerMs)} ms of audio]`;
    this.next++;
    yield typeof line === 'string' ? { type: 'final', text: line } : { type: 'final', ...line };
    yield { type: 'utterance_end' };
  }
}
