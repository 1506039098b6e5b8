/**
 * The OpenAI chat-completions dialect that Groq, Cerebras and the self-hosted OpenAI-compatible
 * servers (vLLM, llama.cpp, Ollama) share: an `LlmRequest` as a request body, and the streamed
 * chunks read back as `LlmEvent`s.
 */
import type { LlmEvent, LlmRequest, LlmUsage } from '../types.js';

/** A chat message in OpenAI's layout. */
export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | {
      role: 'assistant';
      content: string | null;
      tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
    }
  | { role: 'tool'; tool_call_id: string; content: string };

/** The streaming request body, with the limit under the field the server understands. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream: true;
  tools?: {
    type: 'function';
    function: { name: string; description?: string; parameters?: Record<string, unknown> };
  }[];
  tool_choice?: 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };
  max_completion_tokens?: number;
  max_tokens?: number;
}

/** `request` as a streaming chat completion body for `model`. */
export function toChatRequest(
  request: LlmRequest,
  model: string,
  maxTokensField: 'max_completion_tokens' | 'max_tokens',
): ChatRequest {
  const messages: ChatMessage[] = [];
  if (request.instructions) messages.push({ role: 'system', content: request.instructions });
  for (const m of request.messages) {
    if (m.role === 'tool') messages.push({ role: 'tool', tool_call_id: m.toolCallId, content: m.content });
    else if (m.role === 'assistant' && m.toolCalls?.length) {
      messages.push({
        role: 'assistant',
        // OpenAI's schema wants null, not '', beside tool calls.
        content: m.content || null,
        tool_calls: m.toolCalls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: c.arguments },
        })),
      });
    } else messages.push({ role: m.role, content: m.content });
  }
  const body: ChatRequest = { model, messages, stream: true };
  if (request.tools.length > 0) {
    body.tools = request.tools.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description ? { description: t.description } : {}),
        parameters: t.parameters ?? { type: 'object', properties: {} },
      },
    }));
    const c = request.toolChoice;
    body.tool_choice = typeof c === 'string' ? c : { type: 'function', function: { name: c.name } };
  }
  if (request.maxOutputTokens !== null) body[maxTokensField] = request.maxOutputTokens;
  return body;
}

/** The fields of a streamed chunk the reader uses (Groq's, Cerebras's and vLLM's all fit). */
export interface ChatChunk {
  choices?:
    | {
        delta?: {
          content?: string | null;
          tool_calls?:
            | {
                index?: number | null;
                id?: string | null;
                function?: { name?: string | null; arguments?: string | null } | null;
              }[]
            | null;
        } | null;
        finish_reason?: string | null;
      }[]
    | null;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  x_groq?: { usage?: { prompt_tokens?: number; completion_tokens?: number } | null } | null;
}

/** Reads one stream's chunks into events; `finish` gives the closing `done`. */
export class ChatChunkReader {
  private finishReason: string | null = null;
  private usage: LlmUsage | null = null;
  private sawToolCall = false;

  /** The events one chunk carries. */
  read(chunk: ChatChunk): LlmEvent[] {
    const out: LlmEvent[] = [];
    const usage = chunk.x_groq?.usage ?? chunk.usage;
    if (usage) {
      this.usage = { inputTokens: usage.prompt_tokens ?? 0, outputTokens: usage.completion_tokens ?? 0 };
    }
    const choice = chunk.choices?.[0];
    if (!choice) return out;
    const delta = choice.delta;
    if (delta?.content) out.push({ type: 'text', delta: delta.content });
    for (const call of delta?.tool_calls ?? []) {
      this.sawToolCall = true;
      const event: LlmEvent = {
        type: 'tool_call',
        index: call.index ?? 0,
        argumentsDelta: call.function?.arguments ?? '',
      };
      if (call.id) event.id = call.id;
      if (call.function?.name) event.name = call.function.name;
      out.push(event);
    }
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    return out;
  }

  /** The closing event; null when the stream ended without a finish reason (cut short). */
  finish(): LlmEvent | null {
    if (this.finishReason === null) return null;
    // Some OpenAI-compatible servers say `stop` after tool calls; the calls are what matters.
    const finishReason = this.finishReason === 'length' ? 'length' : this.sawToolCall ? 'tool_calls' : 'stop';
    return { type: 'done', finishReason, usage: this.usage };
  }
}
