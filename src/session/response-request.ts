/**
 * What a response asks of the LLM and TTS, once its context is known: the user's words in it
 * transcribed, the language to answer in, the request and the voice. It reads entries and
 * settings and sends nothing; the session owns the events and the response's lifecycle.
 */
import type { RealtimeSessionObject, ResponseParams } from '../../protocol/realtime/index.js';
import type { Entry } from './conversation.js';
import { buildLlmRequest } from './llm-context.js';
import type { ContextWindow } from './llm-truncation.js';
import type { PreparedResponse } from './response-run.js';

/**
 * How a session with no client of its own (a phone call) picks the language to answer in: used
 * when the user's latest words carry no detected language or the STT was asked to detect it.
 */
export interface LanguagePolicy {
  /** The language to speak when nothing better is known (the caller's, or the last one heard). */
  fallback(): string;
  /** Told the language each response will be spoken in; returns the instructions for it, if any. */
  instructionsFor(language: string): string | undefined;
}

/**
 * Waits up to `waitMs` for the transcripts of the context's user audio. Answering words the STT
 * never delivered would answer nothing, so it throws, with a reason, when the user's latest audio
 * has no transcript by then or could not be transcribed.
 */
export async function awaitTranscripts(entries: readonly Entry[], waitMs: number): Promise<void> {
  const pending = entries
    .map((e) => e.extras.transcriptReady)
    .filter((p): p is Promise<void> => p !== undefined);
  if (pending.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, waitMs);
  });
  await Promise.race([Promise.all(pending), timeout]);
  clearTimeout(timer);
  const last = [...entries].reverse().find((e) => e.item.type === 'message' && e.item.role === 'user');
  const audio = last?.item.type === 'message' && last.item.content.some((p) => p.type === 'input_audio');
  if (last && audio && typeof last.extras.transcript !== 'string' && last.extras.transcriptReady) {
    throw new Error(`no transcript of the user's audio within ${waitMs} ms`);
  }
  if (last?.extras.transcriptFailed) throw new Error("the user's audio could not be transcribed");
}

/** The LLM request, TTS voice and language of a response over `context`. */
export function prepareRequest(o: {
  session: RealtimeSessionObject;
  params: ResponseParams;
  context: readonly Entry[];
  /** The response's voice (OpenAI name or provider id). */
  voice: string;
  resolveVoice: (voice: string, language: string | undefined) => string;
  policy?: LanguagePolicy;
  /**
   * How `buildLlmRequest` cuts the context: the LLM's window and the conversation's start. Null
   * when no LLM reads the request (words spoken as they are): it then carries no conversation.
   */
  llmContext: { tokens: number; window?: ContextWindow } | null;
}): PreparedResponse {
  const { session, policy } = o;
  let language = replyLanguage(o.context, session.audio.input.transcription?.language);
  let instructions: string | undefined;
  if (policy) {
    // `multi` asks the STT to detect; it is never a language to speak.
    if (!language || language === 'multi') language = policy.fallback();
    instructions = policy.instructionsFor(language);
  }
  const { request, cut } = buildLlmRequest(
    instructions ? { ...session, instructions } : session,
    o.params,
    o.llmContext ? o.context : [],
    o.llmContext ?? { tokens: Number.POSITIVE_INFINITY },
  );
  return { request, ttsVoice: o.resolveVoice(o.voice, language), language, cut };
}

/**
 * The language to answer in: the one the STT detected in the user's latest audio (a bilingual
 * session follows the user), else the transcription language the session set, else the TTS's own.
 */
function replyLanguage(context: readonly Entry[], configured: string | undefined): string | undefined {
  for (let i = context.length - 1; i >= 0; i--) {
    const { item, extras } = context[i]!;
    if (item.type === 'message' && item.role === 'user') {
      if (extras.language) return extras.language;
      break;
    }
  }
  return configured;
}
