/**
 * Session `truncation`: which items of a response's context the LLM sees. As in the Realtime API,
 * once the conversation after the instructions would exceed the model's input limit, the oldest
 * items are left out of the request (they stay in the conversation). Without it a long call sends
 * its whole history on every turn, and each turn's first token comes later until the provider
 * refuses the request.
 */
import type { RealtimeSessionObject } from '../../protocol/realtime/index.js';
import type { Entry } from './conversation.js';

type Truncation = RealtimeSessionObject['truncation'];

/**
 * Characters per token, rounded down so that the estimate errs high: Llama 3's tokenizer put 3.61
 * (Spanish) to 4.18 (tool JSON) characters in a token (README, Realtime events). No tokenizer of the
 * chain's models ships with the gateway, and an estimate that errs high only cuts a little early.
 */
const CHARS_PER_TOKEN = 3;
/** Role markers and separators each chat message costs besides its text. */
const TOKENS_PER_MESSAGE = 4;
/** What the Realtime API reserves for the answer when `max_output_tokens` is `inf`. */
const DEFAULT_OUTPUT_RESERVE = 4_096;

/** The context does not fit the LLM's input limit, and truncation may not (or cannot) make it fit. */
export class ContextTooLongError extends Error {
  constructor(tokens: number, limit: number, why?: string) {
    super(
      why ??
        (limit <= 0
          ? `the instructions, tools and the answer's reserve take the whole LLM context (${-limit} tokens over it)`
          : `the conversation takes about ${tokens} tokens after the instructions; the limit is ${limit}`),
    );
    this.name = 'ContextTooLongError';
  }
}

/** Estimated tokens of a message with this text. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE;
}

/**
 * Tokens the conversation may take after the instructions and tools: the LLM's context less what
 * the answer may take and what the instructions and tool definitions take.
 */
export function conversationBudget(o: {
  contextTokens: number;
  maxOutputTokens: number | 'inf';
  instructions: string;
  /** The tool definitions as sent. */
  toolsJson: string;
}): number {
  const reserve = o.maxOutputTokens === 'inf' ? DEFAULT_OUTPUT_RESERVE : o.maxOutputTokens;
  return o.contextTokens - reserve - estimateTokens(o.instructions) - estimateTokens(o.toolsJson);
}

/** Items truncation left out of one request, and the items it carries. */
export interface ContextCut {
  leftOut: number;
  kept: number;
}

/**
 * Where the LLM's view of a conversation starts. A retention ratio drops more than it must so
 * that the next turns add to the same start (and reuse a provider's prompt cache) until the limit
 * is reached again; this keeps that start between responses.
 */
export interface ContextWindow {
  /**
   * The id of the first item the last request carried. An id, not the entry: a speculative
   * response's context holds a copy of the newest entry. Items inserted before it stay out.
   */
  startId?: string;
}

/**
 * The entries the LLM sees: all of them while they fit `budget`; else, by `truncation`, the
 * newest ones that fit (`auto`), the newest ones within `retention_ratio` of the limit, or an
 * error (`disabled`). A kept tool result keeps its call when the limit allows, else goes with it.
 * It throws when not even the newest entry fits, or nothing is left to send.
 */
export function truncateContext(o: {
  entries: readonly Entry[];
  truncation: Truncation;
  budget: number;
  /** Tokens of one entry as the LLM would see it. */
  tokensOf: (entry: Entry) => number;
  /** The default conversation's window; none for a response over a context of its own. */
  window?: ContextWindow;
}): readonly Entry[] {
  const { entries, truncation } = o;
  const tokens = entries.map(o.tokensOf);
  const retention = typeof truncation === 'object' ? truncation : null;
  const postInstructions = retention?.token_limits?.post_instructions;
  const limit = postInstructions === undefined ? o.budget : Math.min(postInstructions, o.budget);
  const startId = retention ? o.window?.startId : undefined;
  const at = startId === undefined ? -1 : entries.findIndex((e) => e.item.id === startId);
  let from = Math.max(0, at);
  let total = 0;
  for (let i = from; i < tokens.length; i++) total += tokens[i]!;
  if (total > limit) {
    if (truncation === 'disabled') throw new ContextTooLongError(total, limit);
    const target = retention ? Math.floor(limit * retention.retention_ratio) : limit;
    while (total > target && from < entries.length - 1) total -= tokens[from++]!;
  }
  // A kept tool result is there for the answer to use: start at its call rather than lose it.
  const call = firstCutCall(entries, from);
  let extra = 0;
  for (let i = call; i < from; i++) extra += tokens[i]!;
  if (total + extra <= limit) {
    from = call;
    total += extra;
  }
  if (total > limit) throw new ContextTooLongError(total, limit);
  const kept = from === 0 ? entries : withoutOrphanResults(entries.slice(from), entries.slice(0, from));
  if (kept.length === 0 && entries.length > 0)
    throw new ContextTooLongError(
      total,
      limit,
      `only tool results fit, and not the calls they answer (limit ${limit})`,
    );
  if (retention && o.window) o.window.startId = kept[0]?.item.id;
  return kept;
}

/** Index of the first call before `from` whose result is at or after it; `from` when none. */
function firstCutCall(entries: readonly Entry[], from: number): number {
  const results = new Set<string>();
  for (let i = from; i < entries.length; i++) {
    const { item } = entries[i]!;
    if (item.type === 'function_call_output') results.add(item.call_id);
  }
  if (results.size === 0) return from;
  for (let i = 0; i < from; i++) {
    const { item } = entries[i]!;
    if (item.type === 'function_call' && results.has(item.call_id)) return i;
  }
  return from;
}

/**
 * Leaves out the tool results whose call was cut: chat APIs refuse a tool result that follows
 * no call of its.
 */
function withoutOrphanResults(kept: readonly Entry[], dropped: readonly Entry[]): readonly Entry[] {
  const cut = new Set<string>();
  for (const { item } of dropped) if (item.type === 'function_call') cut.add(item.call_id);
  if (cut.size === 0) return kept;
  return kept.filter(({ item }) => item.type !== 'function_call_output' || !cut.has(item.call_id));
}
