/**
 * Deepgram `/v1/listen` on the wire: the query parameters the emulator reads and the messages it
 * sends, shaped as the SDK's `ListenV1Results`, `ListenV1Metadata`, `ListenV1UtteranceEnd`,
 * `ListenV1SpeechStarted` and `ListenV1Response` types (providers.md section 1.4 and 1.7).
 */
import { randomUUID } from 'node:crypto';
import type { RawEncoding } from './speech.js';
import { isRawEncoding } from './speech.js';
import type { ResultWord } from './transcripts.js';
import { confidenceOf } from './transcripts.js';

/** Deepgram's own endpointing default, used when the client sends none. */
export const DEEPGRAM_DEFAULT_ENDPOINTING_MS = 10;
/** Model assumed when the client names none (Deepgram's default tier). */
const DEFAULT_MODEL = 'base';
/** Fixed model id: the emulator is one "model". */
export const EMULATED_MODEL_UUID = '00000000-0000-4000-8000-00000000d9a1';
/** Version string reported in `model_info`. */
const MODEL_VERSION = 'emulated';
/** Highest sample rate accepted; far above any telephony or wideband rate Deepgram takes. */
const MAX_SAMPLE_RATE = 192_000;
/** Lowest sample rate accepted. */
const MIN_SAMPLE_RATE = 4_000;

/** What the emulator reads from the query string; everything else is tolerated and ignored. */
export interface ListenParams {
  encoding: RawEncoding;
  sampleRate: number;
  model: string;
  language: string | null;
  interimResults: boolean;
  vadEvents: boolean;
  /** `null`: `endpointing=false`, no endpointing at all. */
  endpointingMs: number | null;
  /** `null`: no UtteranceEnd messages. */
  utteranceEndMs: number | null;
}

/** Either the parameters or a message saying what is wrong (answered with 400). */
export type ParseResult = { ok: true; params: ListenParams } | { ok: false; message: string };

function positiveInt(raw: string | null): number | null {
  if (raw === null || !/^\d+$/.test(raw)) return null;
  return Number(raw);
}

/** Reads the listen parameters (live or pre-recorded) from a query string. */
export function parseListenParams(query: URLSearchParams): ParseResult {
  const encoding = query.get('encoding');
  if (!isRawEncoding(encoding))
    return {
      ok: false,
      message:
        'The emulator decodes raw audio only: set encoding to linear16, mulaw or alaw, and sample_rate.',
    };
  const sampleRate = positiveInt(query.get('sample_rate'));
  if (sampleRate === null || sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE)
    return {
      ok: false,
      message: `sample_rate must be an integer from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE}.`,
    };
  const channels = query.get('channels');
  if (channels !== null && channels !== '1')
    return { ok: false, message: 'The emulator transcribes mono audio only (channels=1).' };
  const endpointing = query.get('endpointing');
  let endpointingMs: number | null = DEEPGRAM_DEFAULT_ENDPOINTING_MS;
  if (endpointing === 'false') endpointingMs = null;
  else if (endpointing !== null && endpointing !== 'true') {
    endpointingMs = positiveInt(endpointing);
    if (endpointingMs === null)
      return { ok: false, message: 'endpointing must be false or whole milliseconds.' };
  }
  const utteranceEnd = query.get('utterance_end_ms');
  const utteranceEndMs = utteranceEnd === null ? null : positiveInt(utteranceEnd);
  if (utteranceEnd !== null && !utteranceEndMs)
    return { ok: false, message: 'utterance_end_ms must be a positive whole number of milliseconds.' };
  return {
    ok: true,
    params: {
      encoding,
      sampleRate,
      model: query.get('model') ?? DEFAULT_MODEL,
      language: query.get('language'),
      interimResults: query.get('interim_results') === 'true',
      vadEvents: query.get('vad_events') === 'true',
      endpointingMs,
      utteranceEndMs,
    },
  };
}

/** The language the emulator "detects" with `language=multi`: it has no way to tell, so English. */
export const DETECTED_LANGUAGE = 'en';

/** The language to report on results: only language detection (`multi`) reports one. */
export function reportedLanguage(
  params: Pick<ListenParams, 'language'>,
  tagged?: string,
): string | undefined {
  return params.language === 'multi' ? (tagged ?? DETECTED_LANGUAGE) : undefined;
}

/** `model_info` of one result. */
export function modelInfo(model: string): { name: string; version: string; arch: string } {
  return { name: `general-${model}`, version: MODEL_VERSION, arch: model };
}

/** One segment's Result message. Times are seconds on the stream's audio clock. */
export interface ResultFields {
  start: number;
  duration: number;
  isFinal: boolean;
  speechFinal: boolean;
  fromFinalize: boolean;
  transcript: string;
  words: ResultWord[];
  language: string | undefined;
  requestId: string;
  model: string;
}

/** A `Results` message. */
export function resultsMessage(f: ResultFields): Record<string, unknown> {
  return {
    type: 'Results',
    channel_index: [0, 1],
    duration: f.duration,
    start: f.start,
    is_final: f.isFinal,
    speech_final: f.speechFinal,
    from_finalize: f.fromFinalize,
    channel: {
      alternatives: [
        {
          transcript: f.transcript,
          confidence: confidenceOf(f.transcript),
          ...(f.language && f.transcript ? { languages: [f.language] } : {}),
          words: f.words,
        },
      ],
    },
    metadata: { request_id: f.requestId, model_uuid: EMULATED_MODEL_UUID, model_info: modelInfo(f.model) },
  };
}

/** A `SpeechStarted` message. */
export function speechStartedMessage(timestamp: number): Record<string, unknown> {
  return { type: 'SpeechStarted', channel: [0, 1], timestamp };
}

/** An `UtteranceEnd` message. */
export function utteranceEndMessage(lastWordEnd: number): Record<string, unknown> {
  return { type: 'UtteranceEnd', channel: [0, 1], last_word_end: lastWordEnd };
}

/** The `Metadata` summary sent after CloseStream. */
export function metadataMessage(f: {
  requestId: string;
  sha256: string;
  created: string;
  duration: number;
  model: string;
}): Record<string, unknown> {
  return {
    type: 'Metadata',
    transaction_key: 'deprecated',
    request_id: f.requestId,
    sha256: f.sha256,
    created: f.created,
    duration: f.duration,
    channels: 1,
    models: [EMULATED_MODEL_UUID],
    model_info: { [EMULATED_MODEL_UUID]: modelInfo(f.model) },
  };
}

/** Deepgram's JSON error body (as sent with an HTTP error status). */
export function errorBody(errCode: string, errMsg: string): string {
  return JSON.stringify({ err_code: errCode, err_msg: errMsg, request_id: randomUUID() });
}
