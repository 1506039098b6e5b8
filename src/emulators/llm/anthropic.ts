/**
 * Anthropic emulator: `POST /v1/messages` streaming named SSE events (providers.md 2.6):
 * message_start, content_block_start (text or tool_use), content_block_delta (text_delta or
 * input_json_delta), content_block_stop, message_delta with the stop reason, message_stop, and
 * an in-band `error` event. Takes the key as `x-api-key` (0.x SDKs) or `Authorization: Bearer`
 * (1.x), and any `anthropic-version`.
 */
import type { IncomingMessage } from 'node:http';
import { bearerKey, randomId } from './openai-stream.js';
import { splitArguments } from './offline-reply.js';
import { fromAnthropicMessages } from './requests.js';
import { sseEvent, startLlmServer } from './server.js';
import type { Dialect, ErrorAnswer, Frame, LlmEmulatorOptions, RunningLlmEmulator } from './server.js';

/** Anthropic's per-minute request limit as its headers report it (tier 1 figure). */
const RATE_LIMIT_REQUESTS = 50;

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

function anthropicError(status: number, message: string, retryAfterSeconds?: number): ErrorAnswer {
  const requestId = `req_${randomId()}`;
  const headers: Record<string, string> = { 'request-id': requestId };
  if (status === 429) {
    const retry = retryAfterSeconds ?? 1;
    Object.assign(headers, {
      'retry-after': String(retry),
      'anthropic-ratelimit-requests-limit': String(RATE_LIMIT_REQUESTS),
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': new Date(Date.now() + retry * 1000).toISOString(),
    });
  }
  const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  const text = status === 401 ? 'invalid x-api-key' : message;
  return { status, headers, body: { type: 'error', error: { type, message: text }, request_id: requestId } };
}

function keyOf(req: IncomingMessage): string | null {
  const header = req.headers['x-api-key'];
  return typeof header === 'string' ? header : bearerKey(req);
}

const STOP_REASONS = { stop: 'end_turn', length: 'max_tokens' } as const;

const ANTHROPIC: Dialect = {
  name: 'anthropic',
  chatPaths: ['/v1/messages'],
  keyOf,
  parse: fromAnthropicMessages,
  error: anthropicError,
  streamHeaders: () => ({ 'request-id': `req_${randomId()}` }),
  frames(parsed, reply, toolArgumentChunks) {
    const frames: Frame[] = [
      {
        sse: sseEvent('message_start', {
          type: 'message_start',
          message: {
            id: `msg_${randomId()}`,
            type: 'message',
            role: 'assistant',
            model: parsed.model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: reply.usage.inputTokens, output_tokens: 1 },
          },
        }),
      },
    ];
    let stopReason: string;
    if (reply.kind === 'tool_call') {
      const block = { type: 'tool_use', id: `toolu_${randomId()}`, name: reply.name, input: {} };
      frames.push({
        sse: sseEvent('content_block_start', { type: 'content_block_start', index: 0, content_block: block }),
        token: true,
      });
      for (const part of splitArguments(reply.arguments, toolArgumentChunks)) {
        const delta = { type: 'input_json_delta', partial_json: part };
        frames.push({
          sse: sseEvent('content_block_delta', { type: 'content_block_delta', index: 0, delta }),
          token: true,
        });
      }
      stopReason = 'tool_use';
    } else {
      frames.push({
        sse: sseEvent('content_block_start', {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'text', text: '' },
        }),
      });
      frames.push({ sse: sseEvent('ping', { type: 'ping' }) });
      for (const token of reply.tokens) {
        const delta = { type: 'text_delta', text: token };
        frames.push({
          sse: sseEvent('content_block_delta', { type: 'content_block_delta', index: 0, delta }),
          token: true,
        });
      }
      stopReason = STOP_REASONS[reply.finishReason];
    }
    frames.push({ sse: sseEvent('content_block_stop', { type: 'content_block_stop', index: 0 }) });
    frames.push({
      sse: sseEvent('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: { output_tokens: reply.usage.outputTokens },
      }),
    });
    frames.push({ sse: sseEvent('message_stop', { type: 'message_stop' }) });
    return frames;
  },
  inBandError: (message) =>
    sseEvent('error', { type: 'error', error: { type: 'overloaded_error', message } }),
};

/** Starts an Anthropic emulator on loopback; point @anthropic-ai/sdk's `baseURL` at its `baseUrl`. */
export function startAnthropicEmulator(opts: LlmEmulatorOptions = {}): Promise<RunningLlmEmulator> {
  return startLlmServer(ANTHROPIC, opts);
}
