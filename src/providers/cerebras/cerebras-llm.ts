/**
 * Cerebras streaming chat completions through `@cerebras/cerebras_cloud_sdk`: the same OpenAI
 * chunk format as Groq (providers.md 2.5), so it shares Groq's request mapping and chunk reader.
 */
import Cerebras from '@cerebras/cerebras_cloud_sdk';
import type { Fetch } from '@cerebras/cerebras_cloud_sdk/core';
import { streamChatCompletion } from '../llm-common/chat-stream.js';
import { toChatRequest } from '../llm-common/openai-chat.js';
import type { ChatChunk } from '../llm-common/openai-chat.js';
import { createNodeFetch } from '../llm-common/node-fetch.js';
import { validateCommon } from '../llm-common/stream-guard.js';
import type { LlmAdapterOptions, StreamDeadlines } from '../llm-common/stream-guard.js';
import type { LlmEvent, LlmRequest, LlmStage } from '../types.js';
import { sseFlushFetch } from './sse-flush-fetch.js';

/** Cerebras's small Llama, the counterpart of Groq's default. */
export const DEFAULT_CEREBRAS_MODEL = 'llama3.1-8b';
/** Passed explicitly so the SDK never falls back to reading `CEREBRAS_BASE_URL` itself. */
export const CEREBRAS_CLOUD_BASE_URL = 'https://api.cerebras.ai';

/** Options of `CerebrasLlm`: the common ones only. */
export type CerebrasLlmOptions = LlmAdapterOptions;

/**
 * The Cerebras LLM stage. The SDK's TCP warming stays off, in production too: it is a `GET` sent
 * from the constructor (constructors here do no I/O), and a warmed socket would be dropped after
 * 30 s idle (the `node:http` fetch's idle-socket timeout), so a fallback first used minutes later
 * would connect cold anyway.
 */
export class CerebrasLlm implements LlmStage {
  readonly label = 'cerebras.llm';
  private readonly client: Cerebras;
  private readonly model: string;
  private readonly deadlines: StreamDeadlines;

  constructor(private readonly opts: CerebrasLlmOptions) {
    this.deadlines = validateCommon(this.label, opts);
    this.model = opts.model ?? DEFAULT_CEREBRAS_MODEL;
    this.client = new Cerebras({
      apiKey: opts.apiKey,
      baseURL: opts.baseUrl ?? CEREBRAS_CLOUD_BASE_URL,
      maxRetries: 0,
      warmTCPConnection: false,
      // The SDK types its fetch with the node-fetch package's shapes; ours is what runs here.
      fetch: sseFlushFetch(opts.fetch ?? createNodeFetch()) as unknown as Fetch,
    });
  }

  async *generate(request: LlmRequest, signal: AbortSignal): AsyncIterable<LlmEvent> {
    const body = toChatRequest(request, this.model, 'max_completion_tokens');
    yield* streamChatCompletion(
      this.label,
      this.deadlines,
      this.opts.apiKey,
      signal,
      async (s) =>
        (await this.client.chat.completions.create(body, { signal: s })) as AsyncIterable<ChatChunk>,
    );
  }
}
