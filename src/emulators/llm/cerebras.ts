/**
 * Cerebras emulator: `POST /v1/chat/completions` with Groq's chunk format, usage and `time_info`
 * in the final chunk (providers.md 2.5), errors in Cerebras's flat shape
 * (`{"message","type","param","code"}`), and `GET /v1/tcp_warming`, which the SDK's constructor
 * sends unless told not to.
 */
import { bearerKey, openAiFrames, openAiUsage } from './openai-stream.js';
import { fromOpenAiChat } from './requests.js';
import { sseData, startLlmServer } from './server.js';
import type { Dialect, ErrorAnswer, LlmEmulatorOptions, RunningLlmEmulator } from './server.js';

/** Cerebras's per-minute token limit as its headers report it (free tier figure). */
const RATE_LIMIT_TOKENS_PER_MINUTE = 60_000;

function cerebrasError(status: number, message: string, retryAfterSeconds?: number): ErrorAnswer {
  const kind: Record<number, [string, string, string]> = {
    400: ['invalid_request_error', 'body', 'invalid_request'],
    401: ['invalid_request_error', 'api_key', 'wrong_api_key'],
    404: ['not_found_error', 'url', 'not_found'],
    413: ['invalid_request_error', 'body', 'request_too_large'],
    429: ['too_many_requests_error', 'quota', 'request_quota_exceeded'],
  };
  const [type, param, code] = kind[status] ?? ['server_error', '', 'internal_server_error'];
  const headers: Record<string, string> = {};
  if (status === 429) {
    const retry = retryAfterSeconds ?? 1;
    Object.assign(headers, {
      'retry-after': String(retry),
      'x-ratelimit-limit-tokens-minute': String(RATE_LIMIT_TOKENS_PER_MINUTE),
      'x-ratelimit-remaining-tokens-minute': '0',
      'x-ratelimit-reset-tokens-minute': String(retry),
    });
  }
  const text =
    status === 401
      ? 'Wrong API Key'
      : status === 429
        ? 'Tokens per minute limit exceeded - too many tokens processed.'
        : message;
  return { status, headers, body: { message: text, type, param, code } };
}

const CEREBRAS: Dialect = {
  name: 'cerebras',
  chatPaths: ['/v1/chat/completions'],
  getRoutes: { '/v1/tcp_warming': {} },
  keyOf: bearerKey,
  parse: fromOpenAiChat,
  error: cerebrasError,
  streamHeaders: () => ({}),
  frames: (parsed, reply, chunks) =>
    openAiFrames(parsed, reply, chunks, (_id, usage, seconds) => ({
      usage: openAiUsage(usage),
      time_info: {
        queue_time: 0.0001,
        prompt_time: 0.0002,
        completion_time: seconds,
        total_time: seconds,
        created: Date.now() / 1000,
      },
    })),
  inBandError: (message) =>
    sseData({
      error: { message, type: 'server_error', param: '', code: 'internal_server_error' },
      status_code: 500,
    }),
};

/** Starts a Cerebras emulator on loopback; point the Cerebras SDK's `baseURL` at its `baseUrl`. */
export function startCerebrasEmulator(opts: LlmEmulatorOptions = {}): Promise<RunningLlmEmulator> {
  return startLlmServer(CEREBRAS, opts);
}
