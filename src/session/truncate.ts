/**
 * `conversation.item.truncate`: cuts an assistant item's audio at what the client played, and its
 * transcript to the words heard, so the next LLM turn knows only what the user heard.
 */
import type { ErrorCode } from '../../protocol/realtime/index.js';
import type { Entry } from './conversation.js';

/** Why a truncate was refused. */
export interface TruncateError {
  code: ErrorCode;
  param: string;
  message: string;
}

/**
 * Cuts the transcript in place and returns the audio to keep (null when the bytes were already
 * evicted from memory), or says why not.
 */
export function truncateItem(
  entry: Entry,
  contentIndex: number,
  audioEndMs: number,
): { ok: true; audio: Uint8Array[] | null; bytesPerMs: number } | { ok: false; error: TruncateError } {
  const { item, extras } = entry;
  const isAssistantMessage = item.type === 'message' && item.role === 'assistant';
  if (!isAssistantMessage) {
    return refuse(
      'unsupported_content_type',
      'item_id',
      'Only model output audio messages can be truncated.',
    );
  }
  const part = item.content[contentIndex];
  if (!part)
    return refuse(
      'invalid_content_index',
      'content_index',
      `The item has no content part at index ${contentIndex}.`,
    );
  if (part.type !== 'output_audio') {
    return refuse(
      'unsupported_content_type',
      'content_index',
      'Only model output audio messages can be truncated.',
    );
  }
  const chunks = extras.audio ?? [];
  const bytesPerMs = extras.audioBytesPerMs ?? 48;
  const totalBytes = chunks.reduce((n, c) => n + c.byteLength, 0);
  const totalMs = extras.audioMs ?? Math.floor(totalBytes / bytesPerMs);
  if (audioEndMs > totalMs) {
    return refuse(
      'audio_end_ms_out_of_range',
      'audio_end_ms',
      `Audio content of ${totalMs}ms is already shorter than ${audioEndMs}ms.`,
    );
  }
  // Whole samples only: a PCM16 cut must not split a 2-byte sample.
  const sampleBytes = bytesPerMs === 48 ? 2 : 1;
  const keepBytes = Math.floor((audioEndMs * bytesPerMs) / sampleBytes) * sampleBytes;
  part.transcript = heardTranscript(part.transcript ?? '', extras.words, audioEndMs, totalMs);
  if (extras.words) extras.words = extras.words.filter((w) => w.startMs < audioEndMs);
  const audio = extras.audio ? [Buffer.concat(chunks).subarray(0, keepBytes)] : null;
  return { ok: true, audio, bytesPerMs };
}

/**
 * The words whose audio had started by `audioEndMs`. Without word timings the cut falls at the
 * same fraction of the text, rounded back to a word boundary.
 */
export function heardTranscript(
  transcript: string,
  words: readonly { word: string; startMs: number }[] | undefined,
  audioEndMs: number,
  totalMs: number,
): string {
  if (words && words.length > 0) {
    return words
      .filter((w) => w.startMs < audioEndMs)
      .map((w) => w.word)
      .join(' ');
  }
  if (totalMs <= 0) return '';
  const at = Math.floor((transcript.length * audioEndMs) / totalMs);
  if (at >= transcript.length) return transcript;
  const boundary = transcript.lastIndexOf(' ', at);
  return boundary > 0 ? transcript.slice(0, boundary) : '';
}

function refuse(code: ErrorCode, param: string, message: string): { ok: false; error: TruncateError } {
  return { ok: false, error: { code, param, message } };
}
