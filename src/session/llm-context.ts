/**
 * Conversation items to an LLM request: the one place wire items (snake_case) become the stage
 * contract's messages (camelCase). Assistant audio counts as what its transcript says, truncated
 * where the client truncated it; user audio counts as its transcript.
 */
import type {
  Item,
  RealtimeSessionObject,
  ResponseParams,
  Tool,
  ToolChoice,
} from '../../protocol/realtime/index.js';
import type { LlmMessage, LlmRequest, LlmTool } from '../providers/types.js';
import type { Entry } from './conversation.js';
import { conversationBudget, estimateTokens, truncateContext } from './llm-truncation.js';
import type { ContextCut, ContextWindow } from './llm-truncation.js';

/**
 * Builds the LLM request of one response; `truncation` decides which entries it carries, and
 * `cut` says how many it left out.
 */
export function buildLlmRequest(
  session: RealtimeSessionObject,
  params: ResponseParams,
  entries: readonly Entry[],
  context: {
    /** The LLM's context window, in tokens (`LLM_CONTEXT_TOKENS`). */
    tokens: number;
    /** The default conversation's window; none for a response over a context of its own. */
    window?: ContextWindow;
  },
): { request: LlmRequest; cut?: ContextCut } {
  const tools = toLlmTools(params.tools ?? session.tools);
  const toolChoice = params.tool_choice ?? session.tool_choice;
  const max = params.max_output_tokens ?? session.max_output_tokens;
  const instructions = params.instructions ?? session.instructions;
  const budget = conversationBudget({
    contextTokens: context.tokens,
    maxOutputTokens: max,
    instructions,
    toolsJson: tools.length > 0 ? JSON.stringify(tools) : '',
  });
  const kept = truncateContext({
    entries,
    truncation: session.truncation,
    budget,
    tokensOf: entryTokens,
    window: context.window,
  });
  const request: LlmRequest = {
    instructions,
    messages: toMessages(kept),
    tools,
    toolChoice: toLlmToolChoice(toolChoice),
    maxOutputTokens: max === 'inf' ? null : max,
  };
  if (kept.length === entries.length) return { request };
  return { request, cut: { leftOut: entries.length - kept.length, kept: kept.length } };
}

/**
 * Estimated tokens of an entry as the LLM sees it. A call counts the placeholder a call with no
 * result yet is answered with, whether or not its result came: an estimate that errs high.
 */
function entryTokens({ item, extras }: Entry): number {
  const message = toMessage(item, extras.transcript ?? null);
  if (!message) return 0;
  let text = message.content;
  if (message.role === 'assistant')
    for (const c of message.toolCalls ?? []) text += c.name + c.arguments + PENDING_TOOL_RESULT;
  return estimateTokens(text);
}

function toLlmTools(tools: readonly Tool[]): LlmTool[] {
  const out: LlmTool[] = [];
  for (const t of tools) {
    if (t.type !== 'function') continue;
    out.push({ name: t.name, description: t.description, parameters: t.parameters });
  }
  return out;
}

function toLlmToolChoice(choice: ToolChoice): LlmRequest['toolChoice'] {
  if (typeof choice === 'string') return choice;
  return { name: choice.type === 'function' ? choice.name : (choice.name ?? '') };
}

/**
 * What a tool call whose result has not arrived yet answers in the LLM's context: chat APIs
 * (Groq, Cerebras, Anthropic) refuse a request where a tool call is not followed by its result.
 */
export const PENDING_TOOL_RESULT = JSON.stringify({
  status: 'pending',
  message: 'The result of this call has not arrived yet.',
});

/**
 * Items in order to messages; consecutive function calls join one assistant message, and each
 * call is followed by its result (moved up from where it was added, or a pending placeholder).
 */
export function toMessages(entries: readonly Entry[]): LlmMessage[] {
  return pairToolResults(inOrder(entries));
}

function inOrder(entries: readonly Entry[]): LlmMessage[] {
  const out: LlmMessage[] = [];
  for (const { item, extras } of entries) {
    const message = toMessage(item, extras.transcript ?? null);
    if (!message) continue;
    const prev = out.at(-1);
    if (message.role === 'assistant' && message.toolCalls && prev?.role === 'assistant' && prev.toolCalls) {
      prev.toolCalls.push(...message.toolCalls);
      continue;
    }
    out.push(message);
  }
  return out;
}

/**
 * Puts each tool call's result right after the assistant message that made it, as the chat
 * APIs require; a result added later (the user spoke while a tool ran) is moved up, and a call
 * with no result yet gets `PENDING_TOOL_RESULT`. A result with no call stays where it is.
 */
function pairToolResults(messages: LlmMessage[]): LlmMessage[] {
  const results = new Map<string, LlmMessage>();
  for (const m of messages) if (m.role === 'tool' && !results.has(m.toolCallId)) results.set(m.toolCallId, m);
  const placed = new Set<string>();
  const out: LlmMessage[] = [];
  for (const m of messages) {
    if (m.role === 'tool') {
      if (!placed.has(m.toolCallId)) out.push(m);
      placed.add(m.toolCallId);
      continue;
    }
    out.push(m);
    if (m.role !== 'assistant' || !m.toolCalls) continue;
    for (const call of m.toolCalls) {
      if (placed.has(call.id)) continue;
      placed.add(call.id);
      out.push(results.get(call.id) ?? { role: 'tool', toolCallId: call.id, content: PENDING_TOOL_RESULT });
    }
  }
  return out;
}

function toMessage(item: Item, transcript: string | null): LlmMessage | null {
  switch (item.type) {
    case 'function_call':
      return {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: item.call_id, name: item.name, arguments: item.arguments }],
      };
    case 'function_call_output':
      return { role: 'tool', toolCallId: item.call_id, content: item.output };
    case 'message': {
      const text = item.content
        .map((p) => {
          switch (p.type) {
            case 'input_text':
            case 'output_text':
              return p.text;
            case 'input_audio':
              return p.transcript ?? transcript ?? '';
            case 'output_audio':
              return p.transcript ?? '';
            default:
              return '';
          }
        })
        .filter((s) => s.length > 0)
        .join(' ');
      if (item.role === 'assistant') return { role: 'assistant', content: text };
      return { role: item.role, content: text };
    }
  }
}
