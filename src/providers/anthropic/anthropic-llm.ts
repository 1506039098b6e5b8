/**
 * Anthropic streaming messages through `@anthropic-ai/sdk` (providers.md 2.6): tools as
 * Anthropic tools, tool calls and results as tool_use and tool_result blocks, and the named SSE
 * events read back as `LlmEvent`s.
 */
import Anthropic from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  MessageCreateParamsStreaming,
  MessageParam,
  RawMessageStreamEvent,
  ToolChoice,
} from '@anthropic-ai/sdk/resources/messages/messages';
import { createNodeFetch } from '../llm-common/node-fetch.js';
import { LlmProviderError, describeError, guardStream, validateCommon } from '../llm-common/stream-guard.js';
import type { LlmAdapterOptions, StreamDeadlines } from '../llm-common/stream-guard.js';
import type { LlmEvent, LlmRequest, LlmStage, LlmUsage } from '../types.js';

/** Anthropic's fastest current model. */
export const DEFAULT_ANTHROPIC_MODEL = 'claude-haiku-4-5';
/** Passed explicitly so the SDK never falls back to reading `ANTHROPIC_BASE_URL` itself. */
export const ANTHROPIC_CLOUD_BASE_URL = 'https://api.anthropic.com';
/**
 * `max_tokens` is required by the API. A spoken reply of two or three sentences is about 100
 * tokens; 1024 stops a runaway generation without cutting a long answer short.
 */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 1024;

/** Options of `AnthropicLlm`. */
export interface AnthropicLlmOptions extends LlmAdapterOptions {
  /** `max_tokens` when the request sets no limit; default `DEFAULT_ANTHROPIC_MAX_TOKENS`. */
  defaultMaxTokens?: number;
}

/** The Anthropic LLM stage. */
export class AnthropicLlm implements LlmStage {
  readonly label = 'anthropic.llm';
  private readonly client: Anthropic;
  private readonly model: string;
  private readonly maxTokens: number;
  private readonly deadlines: StreamDeadlines;

  constructor(private readonly opts: AnthropicLlmOptions) {
    this.deadlines = validateCommon(this.label, opts);
    this.model = opts.model ?? DEFAULT_ANTHROPIC_MODEL;
    this.maxTokens = opts.defaultMaxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS;
    if (!Number.isInteger(this.maxTokens) || this.maxTokens < 1) {
      throw new Error(`${this.label}: defaultMaxTokens must be a positive integer`);
    }
    this.client = new Anthropic({
      apiKey: opts.apiKey,
      baseURL: opts.baseUrl ?? ANTHROPIC_CLOUD_BASE_URL,
      maxRetries: 0,
      logLevel: 'off',
      fetch: opts.fetch ?? createNodeFetch(),
    });
  }

  async *generate(request: LlmRequest, signal: AbortSignal): AsyncIterable<LlmEvent> {
    const body = toMessagesRequest(request, this.model, this.maxTokens);
    const events = guardStream<RawMessageStreamEvent>(
      this.label,
      this.deadlines,
      signal,
      (s) => this.client.messages.create(body, { signal: s }),
      (err) => describeError(this.label, this.opts.apiKey, err),
    );
    const reader = new MessageEventReader();
    for await (const event of events) yield* reader.read(event);
    if (signal.aborted) return;
    const done = reader.finish();
    if (!done)
      throw new LlmProviderError(this.label, 'stream ended before message_stop (connection cut short?)');
    yield done;
  }
}

/** `request` as a streaming `POST /v1/messages` body. */
export function toMessagesRequest(
  request: LlmRequest,
  model: string,
  defaultMaxTokens: number,
): MessageCreateParamsStreaming {
  const system: string[] = request.instructions ? [request.instructions] : [];
  const messages: MessageParam[] = [];
  const push = (role: 'user' | 'assistant', blocks: ContentBlockParam[]) => {
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    // Parallel tool results must share one user turn; merging same-role turns keeps them together.
    if (last?.role === role && Array.isArray(last.content)) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const m of request.messages) {
    if (m.role === 'tool') {
      push('user', [{ type: 'tool_result', tool_use_id: m.toolCallId, content: m.content }]);
    } else if (m.role === 'assistant') {
      const blocks: ContentBlockParam[] = m.content ? [{ type: 'text', text: m.content }] : [];
      for (const call of m.toolCalls ?? []) {
        blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: parseInput(call.arguments) });
      }
      push('assistant', blocks);
    } else if (m.role === 'system') system.push(m.content);
    else push('user', m.content ? [{ type: 'text', text: m.content }] : []);
  }
  const body: MessageCreateParamsStreaming = {
    model,
    max_tokens: request.maxOutputTokens ?? defaultMaxTokens,
    messages,
    stream: true,
  };
  if (system.length) body.system = system.join('\n\n');
  if (request.tools.length > 0) {
    body.tools = request.tools.map((t) => ({
      name: t.name,
      ...(t.description ? { description: t.description } : {}),
      input_schema: (t.parameters ?? { type: 'object', properties: {} }) as { type: 'object' },
    }));
    body.tool_choice = toToolChoice(request.toolChoice);
  }
  return body;
}

function toToolChoice(choice: LlmRequest['toolChoice']): ToolChoice {
  if (typeof choice !== 'string') return { type: 'tool', name: choice.name };
  if (choice === 'required') return { type: 'any' };
  return { type: choice };
}

/** Tool-call arguments as the object `tool_use.input` needs; arguments that are not a JSON object become `{}`. */
function parseInput(args: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(args || '{}');
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

const FINISH: Record<string, 'stop' | 'length' | 'tool_calls'> = {
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
};

/** Reads Anthropic's stream events into `LlmEvent`s; `finish` gives the closing `done`. */
export class MessageEventReader {
  /** Content block index -> tool call index (tool calls are numbered from 0 among themselves). */
  private readonly toolIndex = new Map<number, number>();
  private stopReason: string | null = null;
  private stopped = false;
  private usage: LlmUsage = { inputTokens: 0, outputTokens: 0 };

  /** The events one stream event carries. */
  read(event: RawMessageStreamEvent): LlmEvent[] {
    switch (event.type) {
      case 'message_start':
        this.usage.inputTokens = event.message.usage.input_tokens;
        return [];
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'tool_use') {
          const index = this.toolIndex.size;
          this.toolIndex.set(event.index, index);
          return [{ type: 'tool_call', index, id: block.id, name: block.name, argumentsDelta: '' }];
        }
        return block.type === 'text' && block.text ? [{ type: 'text', delta: block.text }] : [];
      }
      case 'content_block_delta': {
        const delta = event.delta;
        if (delta.type === 'text_delta') return delta.text ? [{ type: 'text', delta: delta.text }] : [];
        const index = this.toolIndex.get(event.index);
        if (delta.type === 'input_json_delta' && index !== undefined && delta.partial_json) {
          return [{ type: 'tool_call', index, argumentsDelta: delta.partial_json }];
        }
        return [];
      }
      case 'message_delta':
        this.stopReason = event.delta.stop_reason ?? this.stopReason;
        this.usage.outputTokens = event.usage.output_tokens;
        return [];
      case 'message_stop':
        this.stopped = true;
        return [];
      default:
        return [];
    }
  }

  /** The closing event; null when the stream ended before `message_stop`. */
  finish(): LlmEvent | null {
    if (!this.stopped) return null;
    const finishReason = FINISH[this.stopReason ?? ''] ?? 'stop';
    return { type: 'done', finishReason, usage: { ...this.usage } };
  }
}
