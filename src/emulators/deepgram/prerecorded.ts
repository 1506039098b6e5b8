/**
 * Deepgram's pre-recorded `POST /v1/listen`: the whole body is transcribed at once, with the same
 * transcript rules as the live stream (a script line per utterance, else the placeholder).
 * The body is raw audio described by `encoding` and `sample_rate`, or a WAV file (PCM16, μ-law or
 * A-law, mono), whose header says the same. Utterances split at `utt_split` seconds of silence.
 */
import { createHash, randomUUID } from 'node:crypto';
import { EMULATED_MODEL_UUID, modelInfo, parseListenParams, reportedLanguage } from './protocol.js';
import type { RawEncoding } from './speech.js';
import { FrameCutter } from './speech.js';
import type { ResultWord, TranscriptScript } from './transcripts.js';
import { confidenceOf, seconds, splitLanguageTag, spreadWords } from './transcripts.js';

/** Deepgram's default `utt_split`: silence, in seconds, that splits two utterances. */
const DEFAULT_UTT_SPLIT_S = 0.8;

/** An HTTP answer: status and JSON body. */
export interface RestAnswer {
  status: number;
  body: Record<string, unknown>;
}

interface Speech {
  start: number;
  end: number;
}

/** Reads a mono WAV header (format 1 PCM16, 6 A-law, 7 μ-law); null if `body` is not a WAV file. */
export function parseWav(
  body: Uint8Array,
): { encoding: RawEncoding; sampleRate: number; data: Uint8Array } | { error: string } | null {
  const text = (at: number) => String.fromCharCode(...body.subarray(at, at + 4));
  if (body.byteLength < 12 || text(0) !== 'RIFF' || text(8) !== 'WAVE') return null;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let fmt: { encoding: RawEncoding; sampleRate: number } | null = null;
  for (let at = 12; at + 8 <= body.byteLength;) {
    const id = text(at);
    const size = view.getUint32(at + 4, true);
    const start = at + 8;
    if (id === 'fmt ' && size >= 16) {
      const format = view.getUint16(start, true);
      const channels = view.getUint16(start + 2, true);
      const bits = view.getUint16(start + 14, true);
      const encoding =
        format === 1 && bits === 16 ? 'linear16' : format === 6 ? 'alaw' : format === 7 ? 'mulaw' : null;
      if (!encoding || channels !== 1)
        return { error: 'The emulator reads mono PCM16, μ-law or A-law WAV only.' };
      fmt = { encoding, sampleRate: view.getUint32(start + 4, true) };
    } else if (id === 'data') {
      if (!fmt) return { error: 'WAV data chunk before its fmt chunk.' };
      return { ...fmt, data: body.subarray(start, Math.min(body.byteLength, start + size)) };
    }
    at = start + size + (size % 2);
  }
  return { error: 'WAV file without a data chunk.' };
}

/** Spans of speech in the audio, merged across silences shorter than `splitSamples`. */
function speechSpans(encoding: RawEncoding, sampleRate: number, audio: Uint8Array, splitSamples: number) {
  const cutter = new FrameCutter(encoding, sampleRate);
  const spans: Speech[] = [];
  let cursor = 0;
  for (const f of [...cutter.push(audio), ...cutter.flush()]) {
    if (f.speech) {
      const last = spans.at(-1);
      if (last && cursor - last.end < splitSamples) last.end = cursor + f.samples;
      else spans.push({ start: cursor, end: cursor + f.samples });
    }
    cursor += f.samples;
  }
  return { spans, totalSamples: cursor };
}

/** Transcribes one pre-recorded request. */
export function transcribeRecording(
  body: Uint8Array,
  query: URLSearchParams,
  script: TranscriptScript,
): RestAnswer {
  const bad = (message: string): RestAnswer => ({
    status: 400,
    body: { err_code: 'Bad Request', err_msg: message, request_id: randomUUID() },
  });
  const wav = parseWav(body);
  if (wav && 'error' in wav) return bad(wav.error);
  const q = new URLSearchParams(query);
  if (wav) {
    q.set('encoding', wav.encoding);
    q.set('sample_rate', String(wav.sampleRate));
  }
  const parsed = parseListenParams(q);
  if (!parsed.ok) return bad(parsed.message);
  const { encoding, sampleRate, model } = parsed.params;
  const audio = wav ? wav.data : body;
  const uttSplitRaw = Number(q.get('utt_split') ?? DEFAULT_UTT_SPLIT_S);
  const uttSplitS = Number.isFinite(uttSplitRaw) && uttSplitRaw > 0 ? uttSplitRaw : DEFAULT_UTT_SPLIT_S;
  const { spans, totalSamples } = speechSpans(
    encoding,
    sampleRate,
    audio,
    Math.round(uttSplitS * sampleRate),
  );
  const language = reportedLanguage(parsed.params);
  const utterances = spans.map((s) => {
    const start = seconds(s.start, sampleRate);
    const end = seconds(s.end, sampleRate);
    const line = splitLanguageTag(script.take(end - start));
    const lang = line.language && language ? line.language : language;
    return { start, end, transcript: line.text, words: spreadWords(line.text, start, end, lang) };
  });
  const transcript = utterances.map((u) => u.transcript).join(' ');
  const words: ResultWord[] = utterances.flatMap((u) => u.words);
  const requestId = randomUUID();
  return {
    status: 200,
    body: {
      metadata: {
        transaction_key: 'deprecated',
        request_id: requestId,
        sha256: createHash('sha256').update(body).digest('hex'),
        created: new Date().toISOString(),
        duration: seconds(totalSamples, sampleRate),
        channels: 1,
        models: [EMULATED_MODEL_UUID],
        model_info: { [EMULATED_MODEL_UUID]: modelInfo(model) },
      },
      results: {
        channels: [
          {
            alternatives: [{ transcript, confidence: confidenceOf(transcript), words }],
            ...(language ? { detected_language: language } : {}),
          },
        ],
        ...(q.get('utterances') === 'true'
          ? {
              utterances: utterances.map((u) => ({
                start: u.start,
                end: u.end,
                confidence: confidenceOf(u.transcript),
                channel: 0,
                transcript: u.transcript,
                words: u.words,
                id: randomUUID(),
              })),
            }
          : {}),
      },
    },
  };
}
