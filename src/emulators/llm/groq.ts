/**
 * Groq emulator: `POST /openai/v1/chat/completions` streaming as providers.md 2.2 shows
 * (`x_groq.id` in the first and last chunk, `x_groq.usage` in the last, then `data: [DONE]`),
 * errors as 2.3 (`{"error":{...}}`, 429 with `retry-after` and the `x-ratelimit-*` headers).
 * `/v1/chat/completions` is served too, for the adapter's OpenAI-compatible path rewrite.
 */
import { bearerKey, openAiFrames, openAiUsage, randomId } from './openai-stream.js';
import { fromOpenAiChat } from './requests.js';
import { sseData, startLlmServer } from './server.js';
import type { Dialect, ErrorAnswer, LlmEmulatorOptions, RunningLlmEmulator } from './server.js';

/** Groq's request limits as its headers report them; figures of the free tier of llama-3.1-8b-instant. */
const RATE_LIMIT_REQUESTS = 14_400;
const RATE_LIMIT_TOKENS = 6_000;

function groqError(status: number, message: string, retryAfterSeconds?: number): ErrorAnswer {
  const kind: Record<number, [string, string]> = {
    400: ['invalid_request_error', 'invalid_request'],
    401: ['invalid_request_error', 'invalid_api_key'],
    404: ['invalid_request_error', 'unknown_url'],
    413: ['invalid_request_error', 'request_too_large'],
    429: ['tokens', 'rate_limit_exceeded'],
  };
  const [type, code] =
    kind[status] ??
    (status >= 500
      ? ['internal_server_error', 'internal_server_error']
      : ['invalid_request_error', 'invalid_request']);
  const headers: Record<string, string> = { 'x-request-id': `req_${randomId(26)}` };
  if (status === 429) {
    const retry = retryAfterSeconds ?? 1;
    Object.assign(headers, {
      'retry-after': String(retry),
      'x-ratelimit-limit-requests': String(RATE_LIMIT_REQUESTS),
      'x-ratelimit-limit-tokens': String(RATE_LIMIT_TOKENS),
      'x-ratelimit-remaining-requests': String(RATE_LIMIT_REQUESTS - 1),
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-requests': '6s',
      'x-ratelimit-reset-tokens': `${retry}s`,
    });
  }
  const text = status === 429 ? `${message} Please try again in ${retryAfterSeconds ?? 1}s.` : message;
  return { status, headers, body: { error: { message: text, type, code } } };
}

const GROQ: Dialect = {
  name: 'groq',
  chatPaths: ['/openai/v1/chat/completions', '/v1/chat/completions'],
  keyOf: bearerKey,
  parse: fromOpenAiChat,
  error: groqError,
  streamHeaders: () => ({ 'x-request-id': `req_${randomId(26)}` }),
  frames: (parsed, reply, chunks) =>
    openAiFrames(
      parsed,
      reply,
      chunks,
      (id, usage, seconds) => ({
        x_groq: {
          id,
          usage: {
            queue_time: 0.001,
            ...openAiUsage(usage),
            prompt_time: 0.0002,
            completion_time: seconds,
            total_time: seconds,
          },
        },
      }),
      (id) => ({ x_groq: { id } }),
    ),
  inBandError: (message) => sseData({ error: { message, type: 'internal_server_error' } }),
};

/** Starts a Groq emulator on loopback; point groq-sdk's `baseURL` at its `baseUrl`. */
export function startGroqEmulator(opts: LlmEmulatorOptions = {}): Promise<RunningLlmEmulator> {
  return startLlmServer(GROQ, opts);
}
