/**
 * What every LLM adapter must do through its real SDK against its emulator: the stage contract,
 * tool calls both ways, the length limit, provider errors with clear key-free messages, and the
 * watchdog catching a stream that stalls.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LlmEmulatorOptions, RunningLlmEmulator } from '../../src/emulators/llm/index.js';
import type { FetchFunction } from '../../src/providers/llm-common/node-fetch.js';
import type { LlmEvent, LlmRequest, LlmStage } from '../../src/providers/types.js';
import { llmContract } from './contract.js';

/** The key the emulators expect in these tests; it must never show in an error. */
export const TEST_KEY = 'sk-test-KEY-must-not-leak-0123456789';
/** Fast enough to keep each test in milliseconds. */
export const FAST = { firstTokenMs: 5, tokensPerSecond: 1000 };

/** Builds an adapter for a base URL, key and watchdog timeouts. */
export type MakeAdapter = (opts: {
  apiKey: string;
  baseUrl: string;
  firstTokenTimeoutMs?: number;
  interTokenTimeoutMs?: number;
  fetch?: FetchFunction;
}) => LlmStage;

/** Collects a stage's events, and the error it ended with, if any. */
export async function run(
  stage: LlmStage,
  request: LlmRequest,
  signal = new AbortController().signal,
): Promise<{ events: LlmEvent[]; error: Error | null }> {
  const events: LlmEvent[] = [];
  try {
    for await (const e of stage.generate(request, signal)) events.push(e);
    return { events, error: null };
  } catch (err) {
    return { events, error: err as Error };
  }
}

/** A one-message request. */
export function ask(content: string, extra: Partial<LlmRequest> = {}): LlmRequest {
  return {
    instructions: 'Be brief.',
    messages: [{ role: 'user', content }],
    tools: [],
    toolChoice: 'auto',
    maxOutputTokens: null,
    ...extra,
  };
}

/** The text of a run. */
export function textOf(events: LlmEvent[]): string {
  return events.map((e) => (e.type === 'text' ? e.delta : '')).join('');
}

const LOOKUP = { name: 'lookup', description: 'Looks a thing up.', parameters: { type: 'object' } };

/** Registers the shared adapter tests. */
export function llmAdapterSuite(
  label: string,
  start: (opts: LlmEmulatorOptions) => Promise<RunningLlmEmulator>,
  make: MakeAdapter,
): void {
  let emu: RunningLlmEmulator;
  let split: RunningLlmEmulator;
  const adapter = (extra: Partial<Parameters<MakeAdapter>[0]> = {}) =>
    make({ apiKey: TEST_KEY, baseUrl: emu.baseUrl, ...extra });

  beforeAll(async () => {
    emu = await start({ apiKey: TEST_KEY, latency: FAST });
    split = await start({ apiKey: TEST_KEY, latency: FAST, toolArgumentChunks: 4 });
  });
  afterAll(async () => {
    await emu.close();
    await split.close();
  });

  describe(`${label} contract`, () => llmContract(() => adapter()));

  it('has its label', () => {
    expect(adapter().label).toBe(label);
  });

  it('streams a tool call asked for with `call lookup {json}`: id and name first, then the arguments', async () => {
    for (const target of [emu, split]) {
      const stage = make({ apiKey: TEST_KEY, baseUrl: target.baseUrl });
      const { events, error } = await run(stage, ask('please call lookup {"q":1}', { tools: [LOOKUP] }));
      expect(error).toBeNull();
      const calls = events.filter((e) => e.type === 'tool_call');
      expect(calls.length).toBeGreaterThan(target === split ? 2 : 0);
      expect(calls[0]?.id).toMatch(/\S{6,}/);
      expect(calls[0]?.name).toBe('lookup');
      expect(calls.every((c) => c.index === 0)).toBe(true);
      expect(calls.slice(1).every((c) => c.id === undefined && c.name === undefined)).toBe(true);
      expect(JSON.parse(calls.map((c) => c.argumentsDelta).join(''))).toEqual({ q: 1 });
      expect(events.at(-1)).toMatchObject({ type: 'done', finishReason: 'tool_calls' });
      expect(target.lastRequest?.tools).toEqual([{ name: 'lookup' }]);
    }
  });

  it('sends a tool result back and reads `The result is ...`', async () => {
    const { events, error } = await run(adapter(), {
      instructions: 'Be brief.',
      messages: [
        { role: 'user', content: 'call lookup {"q":1}' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"q":1}' }],
        },
        { role: 'tool', toolCallId: 'call_1', content: '{"answer":42}' },
      ],
      tools: [LOOKUP],
      toolChoice: 'auto',
      maxOutputTokens: null,
    });
    expect(error).toBeNull();
    expect(textOf(events)).toBe('The result is {"answer":42}.');
    expect(events.at(-1)).toMatchObject({ type: 'done', finishReason: 'stop' });
    // The emulator read the history back: the call and its result kept their ids.
    const history = emu.lastRequest?.messages ?? [];
    expect(history[1]).toMatchObject({ role: 'assistant', toolCalls: [{ id: 'call_1', name: 'lookup' }] });
    expect(history[2]).toMatchObject({ role: 'tool', toolCallId: 'call_1' });
  });

  it('maps tool_choice: none suppresses the call, a named tool is passed on', async () => {
    const none = await run(adapter(), ask('call lookup {}', { tools: [LOOKUP], toolChoice: 'none' }));
    expect(none.events.some((e) => e.type === 'tool_call')).toBe(false);
    expect(emu.lastRequest?.toolChoice).toBe('none');
    await run(adapter(), ask('call lookup {}', { tools: [LOOKUP], toolChoice: { name: 'lookup' } }));
    expect(emu.lastRequest?.toolChoice).toEqual({ name: 'lookup' });
    await run(adapter(), ask('call lookup {}', { tools: [LOOKUP], toolChoice: 'required' }));
    expect(emu.lastRequest?.toolChoice).toBe('required');
  });

  it('passes instructions and stops at maxOutputTokens with finish reason length and usage', async () => {
    const { events } = await run(adapter(), ask('one two three four five', { maxOutputTokens: 3 }));
    expect(textOf(events)).toBe('You said: one ');
    expect(events.at(-1)).toMatchObject({ type: 'done', finishReason: 'length', usage: { outputTokens: 3 } });
    expect(emu.lastRequest?.instructions).toBe('Be brief.');
    expect(emu.lastRequest?.maxOutputTokens).toBe(3);
  });

  it('throws a clear error without the key for a wrong key, a 429 and a 5xx', async () => {
    const wrong = await run(make({ apiKey: `${TEST_KEY}-wrong`, baseUrl: emu.baseUrl }), ask('hi'));
    expect(wrong.error?.message).toMatch(new RegExp(`^${label.replace('.', '\\.')}: 401`));
    expect(wrong.error?.message).not.toContain(TEST_KEY);
    emu.setFault({ kind: 'http_error', status: 429, retryAfterSeconds: 7 }, 1);
    const limited = await run(adapter(), ask('hi'));
    expect(limited.error).toMatchObject({ status: 429 });
    expect(limited.events).toEqual([]);
    emu.setFault({ kind: 'http_error', status: 503 }, 1);
    expect((await run(adapter(), ask('hi'))).error).toMatchObject({ status: 503 });
    // The faults were used up: the next request works.
    expect(textOf((await run(adapter(), ask('hi'))).events)).toBe('You said: hi.');
  });

  it('throws when the stream breaks: an in-band error after the first token, or a cut connection', async () => {
    emu.setFault({ kind: 'error_message', message: 'model exploded' }, 1);
    const inBand = await run(adapter(), ask('one two three'));
    expect(inBand.events).toEqual([{ type: 'text', delta: 'You ' }]);
    expect(inBand.error?.message).toContain('model exploded');
    emu.setFault({ kind: 'close_mid_stream', afterMs: 0 }, 1);
    const cut = await run(adapter(), ask('one two three'));
    expect(cut.error?.message).toMatch(new RegExp(`^${label.replace('.', '\\.')}: `));
    expect(cut.events.some((e) => e.type === 'done')).toBe(false);
  });

  it('times out a stream that stalls after its headers (first-token watchdog)', async () => {
    emu.setFault({ kind: 'stall_after_headers' }, 1);
    const t0 = Date.now();
    const { events, error } = await run(adapter({ firstTokenTimeoutMs: 150 }), ask('hi'));
    expect(events).toEqual([]);
    expect(error?.name).toBe('LlmTimeoutError');
    expect(error?.message).toContain('first-token timeout (150 ms)');
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('times out a stream that goes silent between tokens (inter-token watchdog)', async () => {
    const slow = await start({ apiKey: TEST_KEY, latency: { firstTokenMs: 5, tokensPerSecond: 2 } });
    try {
      const stage = make({ apiKey: TEST_KEY, baseUrl: slow.baseUrl, interTokenTimeoutMs: 100 });
      const { events, error } = await run(stage, ask('one two three'));
      expect(events.length).toBeGreaterThan(0);
      expect(error?.name).toBe('LlmTimeoutError');
      expect(error?.message).toContain('inter-token timeout (100 ms)');
    } finally {
      await slow.close();
    }
  });

  it('returns quietly when aborted while the provider stalls', async () => {
    emu.setFault({ kind: 'stall_after_headers' }, 1);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const t0 = Date.now();
    const { events, error } = await run(adapter(), ask('hi'), ac.signal);
    expect(error).toBeNull();
    expect(events).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('streams over node:http by default (node-fetch.ts), or over the fetch it is given', async () => {
    const request = vi.spyOn(http, 'request');
    try {
      const byDefault = await run(adapter(), ask('hello there'));
      expect(byDefault.error).toBeNull();
      expect(textOf(byDefault.events)).not.toBe('');
      const origins = request.mock.calls.map(([url]) =>
        typeof url === 'string' || url instanceof URL ? new URL(url).origin : null,
      );
      expect(origins).toContain(new URL(emu.baseUrl).origin);

      request.mockClear();
      let fetched = 0;
      const given = await run(
        adapter({ fetch: (input, init) => (fetched++, fetch(input, init)) }),
        ask('hello there'),
      );
      expect(given.error).toBeNull();
      expect(textOf(given.events)).toBe(textOf(byDefault.events));
      expect(fetched).toBe(1);
      expect(request).not.toHaveBeenCalled();
    } finally {
      request.mockRestore();
    }
  });

  it('validates its options without I/O', () => {
    expect(() => make({ apiKey: '', baseUrl: emu.baseUrl })).toThrow(/apiKey is required/);
    expect(() => make({ apiKey: TEST_KEY, baseUrl: 'ftp://x' })).toThrow(/baseUrl must be an http/);
    expect(() => make({ apiKey: TEST_KEY, baseUrl: emu.baseUrl, interTokenTimeoutMs: 0 })).toThrow(
      /interTokenTimeoutMs/,
    );
  });
}
