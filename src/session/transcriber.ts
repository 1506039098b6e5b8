/**
 * Transcribes a user audio item through the STT stage, from committed audio or streamed while the
 * user speaks. The transcript always reaches the item's extras (it is what the LLM sees);
 * transcription events reach the client only when the session asked for input transcription, and
 * never before the item itself was announced.
 */
import type { AudioFormat, Transcription } from '../../protocol/realtime/index.js';
import type { SttStage } from '../providers/types.js';
import type { Entry } from './conversation.js';
import type { EventWriter } from './event-writer.js';
import { bytesPerMs } from '../audio/formats.js';
import { audioSpecOf } from './response-run.js';

/** What one transcription needs. */
export interface TranscribeJob {
  entry: Entry;
  /** The item's audio: all of it, or a stream that ends when the turn does. */
  audio: readonly Uint8Array[] | AsyncIterable<Uint8Array>;
  /** Settles once the item was announced (`conversation.item.added`); events wait for it. */
  announced?: Promise<void>;
  /** Told when the STT reports the end of an utterance (semantic VAD listens). */
  onEndOfUtterance?: () => void;
  /** Told the transcript so far on every final, empty ones included (speculation listens). */
  onFinal?: (soFar: string) => void;
  format: AudioFormat;
  /** The session's `audio.input.transcription`; null: transcribe for the LLM only. */
  transcription: Transcription | null;
  stt: SttStage;
  writer: EventWriter;
  signal: AbortSignal;
  log: (msg: string, fields: Record<string, unknown>) => void;
}

/** Runs the transcription and settles when the transcript is known (empty on failure). */
export async function transcribeItem(job: TranscribeJob): Promise<void> {
  const { entry, writer, transcription } = job;
  const itemId = entry.item.id;
  let bytes = 0;
  const counted = (async function* () {
    for await (const chunk of job.audio) {
      bytes += chunk.byteLength;
      yield chunk;
    }
  })();
  let transcript = '';
  // Events wait for the item's announcement in order, but the STT is read on meanwhile: a final
  // heard mid-turn must not hold back the ones after it (speculation waits for those).
  let announced: Promise<void> = job.announced ?? Promise.resolve();
  const afterAnnounce = (fn: () => void) => {
    announced = announced.then(fn);
  };
  try {
    const opts = {
      audio: audioSpecOf(job.format),
      language: transcription?.language,
      prompt: transcription?.prompt,
    };
    for await (const ev of job.stt.transcribe(counted, opts, job.signal)) {
      if (ev.type === 'utterance_end' || (ev.type === 'final' && /[.?!]\s*$/.test(ev.text)))
        job.onEndOfUtterance?.();
      if (ev.type !== 'final') continue;
      if (!ev.text) {
        job.onFinal?.(transcript);
        continue;
      }
      if (ev.language) entry.extras.language = ev.language;
      const delta = transcript ? ` ${ev.text}` : ev.text;
      transcript += delta;
      job.onFinal?.(transcript);
      if (transcription) {
        afterAnnounce(() =>
          writer.emit({
            type: 'conversation.item.input_audio_transcription.delta',
            item_id: itemId,
            content_index: 0,
            delta,
          }),
        );
      }
    }
  } catch (err) {
    entry.extras.transcript = '';
    entry.extras.transcriptFailed = true;
    if (job.signal.aborted) return;
    const message = err instanceof Error ? err.message : String(err);
    job.log('transcription failed', { itemId, error: message });
    if (transcription) {
      await announced;
      writer.emit({
        type: 'conversation.item.input_audio_transcription.failed',
        item_id: itemId,
        content_index: 0,
        error: {
          type: 'server_error',
          code: 'transcription_error',
          message: 'Input transcription failed.',
          param: null,
        },
      });
    }
    return;
  }
  if (job.signal.aborted) return;
  entry.extras.transcript = transcript;
  if (!transcription) return;
  await announced;
  const part = entry.item.type === 'message' ? entry.item.content[0] : undefined;
  if (part?.type === 'input_audio') part.transcript = transcript;
  writer.emit({
    type: 'conversation.item.input_audio_transcription.completed',
    item_id: itemId,
    content_index: 0,
    transcript,
    usage: { type: 'duration', seconds: Math.round(bytes / bytesPerMs(job.format.type)) / 1000 },
  });
}
