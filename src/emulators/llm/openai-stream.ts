/**
 * OpenAI-style chat completion chunks, as Groq and Cerebras stream them (providers.md 2.2, 2.5):
 * a role chunk, content or tool-call deltas, a final chunk with `finish_reason` and usage, then
 * `data: [DONE]`. The two differ only in where usage goes, which `Flavor` supplies.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { LlmUsage } from '../../providers/types.js';
import { splitArguments } from './offline-reply.js';
import type { OfflineReply } from './offline-reply.js';
import type { ParsedRequest } from './requests.js';
import { sseData } from './server.js';
import type { Frame } from './server.js';

/** What the last chunk carries besides `finish_reason`, per provider. */
export type Flavor = (requestId: string, usage: LlmUsage, elapsedSeconds: number) => Record<string, unknown>;

/** The key of an `Authorization: Bearer` header. */
export function bearerKey(req: IncomingMessage): string | null {
  const auth = req.headers.authorization ?? '';
  return auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : null;
}

/** A short random id body. */
export function randomId(length = 24): string {
  return randomUUID().replace(/-/g, '').slice(0, length);
}

/** The frames of one streamed chat completion. */
export function openAiFrames(
  parsed: ParsedRequest,
  reply: OfflineReply,
  toolArgumentChunks: number,
  flavor: Flavor,
  firstExtra: (requestId: string) => Record<string, unknown> = () => ({}),
): Frame[] {
  const requestId = `req_${randomId(26)}`;
  const base = {
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: parsed.model,
    system_fingerprint: `fp_${randomId(10)}`,
  };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra = {}) =>
    sseData({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra });
  const frames: Frame[] = [{ sse: chunk({ role: 'assistant', content: '' }, null, firstExtra(requestId)) }];
  let finish: string;
  if (reply.kind === 'tool_call') {
    const call = { index: 0, id: `call_${randomId()}`, type: 'function' };
    frames.push({
      sse: chunk({ tool_calls: [{ ...call, function: { name: reply.name, arguments: '' } }] }),
      token: true,
    });
    for (const part of splitArguments(reply.arguments, toolArgumentChunks)) {
      frames.push({ sse: chunk({ tool_calls: [{ index: 0, function: { arguments: part } }] }), token: true });
    }
    finish = 'tool_calls';
  } else {
    for (const token of reply.tokens) frames.push({ sse: chunk({ content: token }), token: true });
    finish = reply.finishReason;
  }
  const started = Date.now();
  frames.push({
    get sse() {
      // Timing fields describe the stream as sent, so they are computed when this frame goes out.
      return chunk({}, finish, flavor(requestId, reply.usage, (Date.now() - started) / 1000));
    },
  });
  frames.push({ sse: sseData('[DONE]') });
  return frames;
}

/** Usage in OpenAI's field names. */
export function openAiUsage(usage: LlmUsage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}
