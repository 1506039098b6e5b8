/**
 * Groq streaming chat completions through `groq-sdk`, also the way to any OpenAI-compatible
 * server (vLLM, llama.cpp, Ollama) with `openAiCompatiblePath`. Retries are off: the fallback
 * chain owns the retry policy, and the SDK honours any `retry-after` without a cap (providers.md
 * 2.1).
 */
import Groq from 'groq-sdk';
import type { LlmEvent, LlmRequest, LlmStage } from '../types.js';
import { streamChatCompletion } from '../llm-common/chat-stream.js';
import { createNodeFetch } from '../llm-common/node-fetch.js';
import type { FetchFunction } from '../llm-common/node-fetch.js';
import { toChatRequest } from '../llm-common/openai-chat.js';
import { validateCommon } from '../llm-common/stream-guard.js';
import type { LlmAdapterOptions, StreamDeadlines } from '../llm-common/stream-guard.js';

/** Groq's fastest small model, the default. */
export const DEFAULT_GROQ_MODEL = 'llama-3.1-8b-instant';
/** Passed explicitly so the SDK never falls back to reading `GROQ_BASE_URL` itself. */
export const GROQ_CLOUD_BASE_URL = 'https://api.groq.com';

/** Options of `GroqLlm`. */
export interface GroqLlmOptions extends LlmAdapterOptions {
  /** Ask for `/v1/...` instead of groq-sdk's hard-coded `/openai/v1/...` (vLLM, llama.cpp, Ollama); `baseUrl` is then the server's root URL. */
  openAiCompatiblePath?: boolean;
}

/** `fetch` with groq-sdk's `/openai/v1/` paths rewritten to the `/v1/` that OpenAI-compatible servers serve (providers.md 0.6). */
function compatible(fetch: FetchFunction): FetchFunction {
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    return fetch(url.replace('/openai/v1/', '/v1/'), init);
  };
}

/** The Groq LLM stage. */
export class GroqLlm implements LlmStage {
  readonly label = 'groq.llm';
  private readonly client: Groq;
  private readonly model: string;
  private readonly deadlines: StreamDeadlines;
  private readonly compatible: boolean;

  constructor(private readonly opts: GroqLlmOptions) {
    this.deadlines = validateCommon(this.label, opts);
    this.model = opts.model ?? DEFAULT_GROQ_MODEL;
    this.compatible = opts.openAiCompatiblePath ?? false;
    const fetch = opts.fetch ?? createNodeFetch();
    this.client = new Groq({
      apiKey: opts.apiKey,
      baseURL: opts.baseUrl ?? GROQ_CLOUD_BASE_URL,
      maxRetries: 0,
      logLevel: 'off',
      fetch: this.compatible ? compatible(fetch) : fetch,
    });
  }

  async *generate(request: LlmRequest, signal: AbortSignal): AsyncIterable<LlmEvent> {
    // Self-hosted servers know `max_tokens`; Groq deprecates it for `max_completion_tokens`.
    const body = toChatRequest(request, this.model, this.compatible ? 'max_tokens' : 'max_completion_tokens');
    yield* streamChatCompletion(this.label, this.deadlines, this.opts.apiKey, signal, (s) =>
      this.client.chat.completions.create(body, { signal: s }),
    );
  }
}
