/** Every tool call is followed by its result in the LLM's context, as the chat APIs require. */
import { describe, expect, it } from 'vitest';
import { PENDING_TOOL_RESULT, toMessages } from '../../src/session/llm-context.js';
import type { Entry } from '../../src/session/conversation.js';
import { call, output, user } from '../helpers/entries.js';

const roles = (entries: Entry[]) =>
  toMessages(entries).map((m) => (m.role === 'tool' ? `tool:${m.content}` : m.role));

describe('tool results in the LLM context', () => {
  it('keeps a call and its result together as they are', () => {
    expect(roles([user('a'), call('c1'), output('c1', 'r1'), user('b')])).toEqual([
      'user',
      'assistant',
      'tool:r1',
      'user',
    ]);
  });

  it('moves a result added after later messages up to its call (the caller spoke while the tool ran)', () => {
    expect(roles([user('a'), call('c1'), user('1#'), output('c1', 'r1')])).toEqual([
      'user',
      'assistant',
      'tool:r1',
      'user',
    ]);
  });

  it('answers a call whose result has not arrived with a pending placeholder', () => {
    expect(roles([user('a'), call('c1'), user('b')])).toEqual([
      'user',
      'assistant',
      `tool:${PENDING_TOOL_RESULT}`,
      'user',
    ]);
  });

  it('answers each of several calls of one message, in order', () => {
    const msgs = toMessages([user('a'), call('c1'), call('c2'), output('c2', 'r2'), output('c1', 'r1')]);
    expect(msgs.map((m) => (m.role === 'tool' ? m.toolCallId : m.role))).toEqual([
      'user',
      'assistant',
      'c1',
      'c2',
    ]);
  });
});
