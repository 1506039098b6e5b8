/** Session `truncation`: which items of a response's context the LLM request carries. */
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../src/session/conversation.js';
import { buildLlmRequest } from '../../src/session/llm-context.js';
import {
  ContextTooLongError,
  conversationBudget,
  estimateTokens,
  truncateContext,
} from '../../src/session/llm-truncation.js';
import type { ContextWindow } from '../../src/session/llm-truncation.js';
import { call, output, testSession, user } from '../helpers/entries.js';

/** Ten entries of ten tokens each, by the test's own count. */
const tenByTen = () => Array.from({ length: 10 }, (_, i) => user(`turn ${i}`));
const ten = () => 10;
const texts = (entries: readonly Entry[]) =>
  entries.map(({ item }) =>
    item.type === 'message' && item.content[0]?.type === 'input_text' ? item.content[0].text : item.type,
  );

describe('truncateContext', () => {
  it('keeps every entry while they fit', () => {
    const entries = tenByTen();
    expect(truncateContext({ entries, truncation: 'auto', budget: 100, tokensOf: ten })).toBe(entries);
  });

  it('auto: leaves out the oldest entries until the rest fit', () => {
    const kept = truncateContext({ entries: tenByTen(), truncation: 'auto', budget: 35, tokensOf: ten });
    expect(texts(kept)).toEqual(['turn 7', 'turn 8', 'turn 9']);
  });

  it('disabled: refuses a context that does not fit instead of cutting it', () => {
    expect(() =>
      truncateContext({ entries: tenByTen(), truncation: 'disabled', budget: 99, tokensOf: ten }),
    ).toThrow(ContextTooLongError);
    const entries = tenByTen();
    expect(truncateContext({ entries, truncation: 'disabled', budget: 100, tokensOf: ten })).toBe(entries);
  });

  it('throws when even the newest entry alone does not fit', () => {
    expect(() =>
      truncateContext({ entries: tenByTen(), truncation: 'auto', budget: 9, tokensOf: ten }),
    ).toThrow(/about 10 tokens .* limit is 9/);
  });

  it('retention_ratio: cuts down to the ratio, then keeps that start while the context grows', () => {
    const truncation = { type: 'retention_ratio' as const, retention_ratio: 0.5 };
    const window: ContextWindow = {};
    const entries = tenByTen();
    const first = truncateContext({ entries, truncation, budget: 80, tokensOf: ten, window });
    // 100 tokens over a limit of 80: cut to at most 40.
    expect(texts(first)).toEqual(['turn 6', 'turn 7', 'turn 8', 'turn 9']);
    expect(window.startId).toBe(entries[6]!.item.id);

    // Three more turns fit under the limit again from the same start: nothing more is cut, so
    // the request's beginning, and a provider's prompt cache of it, stays the same.
    const longer = [...entries, user('turn 10'), user('turn 11'), user('turn 12')];
    const second = truncateContext({ entries: longer, truncation, budget: 80, tokensOf: ten, window });
    expect(texts(second)[0]).toBe('turn 6');
    expect(second).toHaveLength(7);

    // Past the limit once more, it cuts again, down to the ratio.
    const over = [...longer, user('turn 13'), user('turn 14')];
    const third = truncateContext({ entries: over, truncation, budget: 80, tokensOf: ten, window });
    expect(texts(third)).toEqual(['turn 11', 'turn 12', 'turn 13', 'turn 14']);
  });

  it('auto cuts just enough on each turn: it keeps no start between responses', () => {
    const window: ContextWindow = {};
    const entries = tenByTen();
    truncateContext({ entries, truncation: 'auto', budget: 50, tokensOf: ten, window });
    expect(window.startId).toBeUndefined();
  });

  it('retention_ratio: token_limits.post_instructions lowers the limit', () => {
    const truncation = {
      type: 'retention_ratio' as const,
      retention_ratio: 1,
      token_limits: { post_instructions: 30 },
    };
    const kept = truncateContext({ entries: tenByTen(), truncation, budget: 1_000, tokensOf: ten });
    expect(texts(kept)).toEqual(['turn 7', 'turn 8', 'turn 9']);
  });

  it('a start deleted from the conversation counts from the beginning again', () => {
    const truncation = { type: 'retention_ratio' as const, retention_ratio: 0.5 };
    const window: ContextWindow = { startId: 'item_deleted' };
    const entries = tenByTen();
    const kept = truncateContext({ entries, truncation, budget: 100, tokensOf: ten, window });
    expect(kept).toHaveLength(10);
    expect(window.startId).toBe(entries[0]!.item.id);
  });

  it('finds its start by item id: a speculative response holds a copy of the newest entry', () => {
    const truncation = { type: 'retention_ratio' as const, retention_ratio: 0.5 };
    const window: ContextWindow = {};
    const entries = tenByTen();
    // Only the newest fits: the start is the newest entry, given as a copy.
    const copy = { item: entries[9]!.item, extras: { ...entries[9]!.extras } };
    truncateContext({
      entries: [...entries.slice(0, 9), copy],
      truncation,
      budget: 15,
      tokensOf: ten,
      window,
    });
    expect(window.startId).toBe(entries[9]!.item.id);
    const next = [...entries, user('turn 10')];
    const kept = truncateContext({ entries: next, truncation, budget: 25, tokensOf: ten, window });
    expect(texts(kept)).toEqual(['turn 9', 'turn 10']);
  });

  it('keeps the call of a kept tool result when the limit allows, even below the ratio', () => {
    const entries = [user('a'), user('b'), call('c1'), user('c'), output('c1', 'r1')];
    const truncation = { type: 'retention_ratio' as const, retention_ratio: 0 };
    const kept = truncateContext({ entries, truncation, budget: 40, tokensOf: ten });
    expect(kept.map((e) => e.item.type)).toEqual(['function_call', 'message', 'function_call_output']);
  });

  it('leaves out the result of a call that was cut, and keeps the result of a call that stayed', () => {
    // c1's call and result take 30 tokens with what lies between; 20 fit. c2's are the newest.
    const entries = [user('a'), call('c1'), user('b'), output('c1', 'r1'), call('c2'), output('c2', 'r2')];
    const kept = truncateContext({ entries, truncation: 'auto', budget: 25, tokensOf: ten });
    expect(kept.map((e) => ('call_id' in e.item ? e.item.call_id : e.item.type))).toEqual(['c2', 'c2']);
  });

  it('throws rather than send nothing: a result alone whose call does not fit', () => {
    const entries = [user('a'), call('c1'), output('c1', 'r1')];
    const tokensOf = (e: Entry) => (e.item.type === 'function_call' ? 100 : 10);
    expect(() => truncateContext({ entries, truncation: 'auto', budget: 50, tokensOf })).toThrow(
      /only tool results fit, and not the calls they answer/,
    );
  });

  it('says so when the instructions and tools leave no room at all', () => {
    expect(() =>
      truncateContext({ entries: tenByTen(), truncation: 'auto', budget: -20, tokensOf: ten }),
    ).toThrow(
      /instructions, tools and the answer's reserve take the whole LLM context \(20 tokens over it\)/,
    );
  });
});

describe('the budget of a request', () => {
  it('is the context less the answer and the instructions, with tokens estimated high', () => {
    expect(estimateTokens('')).toBe(4);
    expect(estimateTokens('x'.repeat(300))).toBe(104);
    const budget = conversationBudget({
      contextTokens: 32_768,
      maxOutputTokens: 'inf',
      instructions: 'x'.repeat(300),
      toolsJson: '',
    });
    expect(budget).toBe(32_768 - 4_096 - 104 - 4);
    expect(
      conversationBudget({ contextTokens: 32_768, maxOutputTokens: 100, instructions: '', toolsJson: '' }),
    ).toBe(32_768 - 100 - 8);
  });

  it('a long conversation reaches the LLM cut to the context, newest turns first kept', () => {
    const session = testSession();
    // 400 turns of about 100 tokens each: 40,000 tokens, over a 32,768-token context.
    const entries = Array.from({ length: 400 }, (_, i) => user(`${i} ${'word '.repeat(60)}`));
    const { request, cut } = buildLlmRequest(session, {}, entries, { tokens: 32_768 });
    const chars = request.messages.reduce((sum, m) => sum + m.content.length, 0);
    expect(request.messages.length).toBeLessThan(400);
    expect(request.messages.length).toBeGreaterThan(200);
    expect(request.messages.at(-1)?.content.startsWith('399 ')).toBe(true);
    // What was kept fits the budget by the estimate.
    expect(chars / 3 + request.messages.length * 4).toBeLessThanOrEqual(32_768 - 4_096);
    expect(cut).toEqual({ leftOut: 400 - request.messages.length, kept: request.messages.length });

    const all = buildLlmRequest({ ...session, truncation: 'auto' }, {}, entries.slice(0, 100), {
      tokens: 32_768,
    });
    expect(all.request.messages).toHaveLength(100);
    expect(all.cut).toBeUndefined();
    expect(() =>
      buildLlmRequest({ ...session, truncation: 'disabled' }, {}, entries, { tokens: 32_768 }),
    ).toThrow(ContextTooLongError);
  });
});
