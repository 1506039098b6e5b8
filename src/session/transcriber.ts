/**
 * Transcribes a committed user audio item through the STT stage. The transcript always reaches the
 * item's extras (it is what the LLM sees); transcription events reach the client only when the
 * session asked for input transcription.
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
  audio: readonly Uint8Array[];
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
  const bytes = job.audio.reduce((n, c) => n + c.byteLength, 0);
  let transcript = '';
  try {
    const opts = {
      audio: audioSpecOf(job.format),
      language: transcription?.language,
      prompt: transcription?.prompt,
    };
    for await (const ev of job.stt.transcribe(fromArray(job.audio), opts, job.signal)) {
      if (ev.type !== 'final' || !ev.text) continue;
      const delta = transcript ? ` ${ev.text}` : ev.text;
      transcript += delta;
      if (transcription) {
        writer.emit({
          type: 'conversation.item.input_audio_transcription.delta',
          item_id: itemId,
          content_index: 0,
          delta,
        });
      }
    }
  } catch (err) {
    entry.extras.transcript = '';
    if (job.signal.aborted) return;
    const message = err instanceof Error ? err.message : String(err);
    job.log('transcription failed', { itemId, error: message });
    if (transcription) {
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

async function* fromArray(chunks: readonly Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const c of chunks) yield c;
}
