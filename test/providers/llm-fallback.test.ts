/**
 * The LLM fallback chain over the real adapters and their emulators: Groq failing before its
 * first token (429, 5xx, stall) makes Cerebras or Anthropic answer; a failure after the first
 * token is not retried; the circuit breaker opens and skips; all failing names every failure.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  startAnthropicEmulator,
  startCerebrasEmulator,
  startGroqEmulator,
} from '../../src/emulators/llm/index.js';
import type { RunningLlmEmulator } from '../../src/emulators/llm/index.js';
import { AnthropicLlm } from '../../src/providers/anthropic/anthropic-llm.js';
import { CerebrasLlm } from '../../src/providers/cerebras/cerebras-llm.js';
import { ScriptedLlm, echoScript } from '../../src/providers/fake/scripted-llm.js';
import { GroqLlm } from '../../src/providers/groq/groq-llm.js';
import { CircuitBreaker } from '../../src/providers/llm-fallback/circuit-breaker.js';
import { AllLlmProvidersFailedError, FallbackLlm } from '../../src/providers/llm-fallback/fallback-llm.js';
import type {
  FallbackAttempt,
  FallbackLlmOptions,
  ServedInfo,
} from '../../src/providers/llm-fallback/fallback-llm.js';
import type { LlmStage } from '../../src/providers/types.js';
import { llmContract } from './contract.js';
import { FAST, TEST_KEY, ask, run, textOf } from './llm-adapter-suite.js';

/** Short enough for quick tests; long enough that a healthy emulator (5 ms) never misses it, even on a loaded CI machine (300 ms did). */
const DEADLINE_MS = 1_000;

let groq: RunningLlmEmulator;
let cerebras: RunningLlmEmulator;
let anthropic: RunningLlmEmulator;

beforeAll(async () => {
  [groq, cerebras, anthropic] = await Promise.all([
    startGroqEmulator({ apiKey: TEST_KEY, latency: FAST }),
    startCerebrasEmulator({ apiKey: TEST_KEY, latency: FAST }),
    startAnthropicEmulator({ apiKey: TEST_KEY, latency: FAST }),
  ]);
});
afterAll(async () => {
  await Promise.all([groq.close(), cerebras.close(), anthropic.close()]);
});
afterEach(() => {
  for (const emu of [groq, cerebras, anthropic]) emu.setFault(null);
});

interface Served {
  name: string;
  info: ServedInfo;
}

/** The default chain, Groq then Cerebras then Anthropic, recording who served. */
function chain(extra: Partial<FallbackLlmOptions> = {}, breakers: Record<string, CircuitBreaker> = {}) {
  const served: Served[] = [];
  const skipped: FallbackAttempt[] = [];
  const key = { apiKey: TEST_KEY };
  const llm = new FallbackLlm({
    providers: [
      { name: 'groq', stage: new GroqLlm({ ...key, baseUrl: groq.baseUrl }), breaker: breakers.groq },
      {
        name: 'cerebras',
        stage: new CerebrasLlm({ ...key, baseUrl: cerebras.baseUrl }),
        breaker: breakers.cerebras,
      },
      {
        name: 'anthropic',
        stage: new AnthropicLlm({ ...key, baseUrl: anthropic.baseUrl }),
        breaker: breakers.anthropic,
      },
    ],
    firstTokenDeadlineMs: DEADLINE_MS,
    onServed: (name, info) => served.push({ name, info }),
    onFallback: (a) => skipped.push(a),
    ...extra,
  });
  return { llm, served, skipped };
}

describe('fallback.llm contract', () => llmContract(() => chain().llm));

describe('fallback before the first token', () => {
  it('serves from Groq when it is healthy, and says so', async () => {
    const { llm, served } = chain();
    const { events, error } = await run(llm, ask('hello'));
    expect(error).toBeNull();
    expect(textOf(events)).toBe('You said: hello.');
    expect(served).toEqual([{ name: 'groq', info: { firstTokenMs: expect.any(Number), fallbacks: [] } }]);
  });

  for (const [kind, fault] of [
    ['429', { kind: 'http_error', status: 429, retryAfterSeconds: 30 }],
    ['500', { kind: 'http_error', status: 500 }],
    ['503', { kind: 'http_error', status: 503 }],
  ] as const) {
    it(`Groq ${kind} makes Cerebras answer at once`, async () => {
      groq.setFault(fault, 1);
      const { llm, served } = chain();
      const { events, error } = await run(llm, ask('hello'));
      expect(error).toBeNull();
      expect(textOf(events)).toBe('You said: hello.');
      expect(served[0]?.name).toBe('cerebras');
      expect(served[0]?.info.fallbacks).toEqual([
        {
          name: 'groq',
          reason: 'error',
          message: expect.stringContaining(`groq.llm: ${kind}`),
          elapsedMs: expect.any(Number),
        },
      ]);
      // No wait for the retry-after: the chain moved on well inside the deadline.
      expect(served[0]!.info.fallbacks[0]!.elapsedMs).toBeLessThan(DEADLINE_MS);
    });
  }

  it('a Groq stall after headers hits the first-token deadline and Cerebras answers', async () => {
    groq.setFault({ kind: 'stall_after_headers' }, 1);
    const { llm, served } = chain();
    const { events, error } = await run(llm, ask('hello'));
    expect(error).toBeNull();
    expect(textOf(events)).toBe('You said: hello.');
    expect(served[0]?.name).toBe('cerebras');
    const [skip] = served[0]!.info.fallbacks;
    expect(skip).toMatchObject({ name: 'groq', reason: 'deadline' });
    expect(skip!.elapsedMs).toBeGreaterThanOrEqual(DEADLINE_MS - 5);
    expect(served[0]!.info.firstTokenMs).toBeGreaterThan(skip!.elapsedMs);
  });

  it('a connection cut before the first token falls back too', async () => {
    groq.setFault({ kind: 'close_mid_stream', afterMs: 0 }, 1);
    const { llm, served } = chain();
    expect(textOf((await run(llm, ask('hello'))).events)).toBe('You said: hello.');
    expect(served[0]?.name).toBe('cerebras');
  });

  it('Groq and Cerebras failing make Anthropic answer, tool calls included', async () => {
    groq.setFault({ kind: 'http_error', status: 503 }, 1);
    cerebras.setFault({ kind: 'http_error', status: 429 }, 1);
    const { llm, served } = chain();
    const { events, error } = await run(llm, ask('call lookup {"q":1}', { tools: [{ name: 'lookup' }] }));
    expect(error).toBeNull();
    expect(served[0]?.name).toBe('anthropic');
    expect(served[0]?.info.fallbacks.map((f) => f.name)).toEqual(['groq', 'cerebras']);
    const call = events.find((e) => e.type === 'tool_call');
    expect(call).toMatchObject({ name: 'lookup', id: expect.stringMatching(/^toolu_/) });
    expect(events.at(-1)).toMatchObject({ type: 'done', finishReason: 'tool_calls' });
  });

  it('gives the last provider it can try no deadline: cutting it off could only fail the turn', async () => {
    const slow = new ScriptedLlm(echoScript({ firstTokenMs: 150, tokenMs: 0 }));
    const failing = new ScriptedLlm(() => [{ type: 'fail', message: 'down' }]);
    const llm = new FallbackLlm({
      providers: [
        { name: 'a', stage: failing },
        { name: 'b', stage: slow },
      ],
      firstTokenDeadlineMs: 50,
    });
    const { events, error } = await run(llm, ask('hi'));
    expect(error).toBeNull();
    expect(textOf(events)).toBe('You said: hi.');
  });

  it('returns quietly when the caller aborts while a provider stalls', async () => {
    groq.setFault({ kind: 'stall_after_headers' }, 1);
    const { llm, served } = chain();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const t0 = Date.now();
    const { events, error } = await run(llm, ask('hello'), ac.signal);
    expect(error).toBeNull();
    expect(events).toEqual([]);
    expect(served).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(DEADLINE_MS);
  });
});

describe('no retry after the first token', () => {
  it("an in-band error after Groq's first token propagates, and no other provider is asked", async () => {
    groq.setFault({ kind: 'error_message', message: 'mid-stream failure' }, 1);
    const before = [cerebras.requestCount, anthropic.requestCount];
    const { llm, served } = chain();
    const { events, error } = await run(llm, ask('one two three'));
    expect(events).toEqual([{ type: 'text', delta: 'You ' }]);
    expect(error?.message).toContain('mid-stream failure');
    expect(served.map((s) => s.name)).toEqual(['groq']);
    expect([cerebras.requestCount, anthropic.requestCount]).toEqual(before);
  });

  it('a tool call counts as the first token too', async () => {
    const failAfterCall = new ScriptedLlm(() => [
      { type: 'tool_call', index: 0, id: 'c1', name: 'lookup', argumentsDelta: '' },
      { type: 'fail', message: 'broke after the call began' },
    ]);
    const backup = new ScriptedLlm();
    const llm = new FallbackLlm({
      providers: [
        { name: 'a', stage: failAfterCall },
        { name: 'b', stage: backup },
      ],
    });
    const { events, error } = await run(llm, ask('hi'));
    expect(events).toHaveLength(1);
    expect(error?.message).toBe('broke after the call began');
    expect(backup.requests).toHaveLength(0);
  });
});

describe('circuit breaker', () => {
  it('opens after consecutive failures, skips the provider at once, and probes after the cooldown', async () => {
    let clock = 0;
    const breakers = {
      groq: new CircuitBreaker({ failureThreshold: 2, cooldownMs: 10_000, now: () => clock }),
    };
    groq.setFault({ kind: 'http_error', status: 500 });
    const { llm, served } = chain({}, breakers);
    const groqBefore = groq.requestCount;
    await run(llm, ask('one'));
    await run(llm, ask('two'));
    expect(groq.requestCount - groqBefore).toBe(2);
    expect(breakers.groq.state).toBe('open');

    const third = await run(llm, ask('three'));
    expect(textOf(third.events)).toBe('You said: three.');
    expect(groq.requestCount - groqBefore).toBe(2);
    expect(served[2]?.info.fallbacks).toEqual([
      {
        name: 'groq',
        reason: 'circuit_open',
        message: 'circuit open, skipped',
        elapsedMs: expect.any(Number),
      },
    ]);

    clock += 10_000;
    groq.setFault(null);
    expect(breakers.groq.state).toBe('half_open');
    await run(llm, ask('four'));
    expect(served[3]?.name).toBe('groq');
    expect(breakers.groq.state).toBe('closed');
  });

  it('lets one probe through when half-open, reopens on its failure, and frees it on a cancel', () => {
    let clock = 0;
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 100, now: () => clock });
    expect(b.tryAcquire()).toBe(true);
    b.recordFailure();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    clock = 100;
    expect(b.wouldAllow()).toBe(true);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    expect(b.wouldAllow()).toBe(false);
    b.recordCancelled();
    expect(b.tryAcquire()).toBe(true);
    b.recordFailure();
    expect(b.state).toBe('open');
    clock = 199;
    expect(b.tryAcquire()).toBe(false);
    clock = 200;
    expect(b.tryAcquire()).toBe(true);
    b.recordSuccess();
    expect(b.state).toBe('closed');
  });

  it('keeps counting only consecutive failures', () => {
    const b = new CircuitBreaker({ failureThreshold: 2 });
    b.recordFailure();
    b.recordSuccess();
    b.recordFailure();
    expect(b.state).toBe('closed');
    b.recordFailure();
    expect(b.state).toBe('open');
  });
});

describe('all providers failing', () => {
  it("throws one error naming each provider's failure, without keys", async () => {
    groq.setFault({ kind: 'http_error', status: 500 }, 1);
    cerebras.setFault({ kind: 'http_error', status: 429 }, 1);
    anthropic.setFault({ kind: 'refuse_handshake', status: 401 }, 1);
    const { llm, served } = chain();
    const { events, error } = await run(llm, ask('hello'));
    expect(events).toEqual([]);
    expect(served).toEqual([]);
    expect(error).toBeInstanceOf(AllLlmProvidersFailedError);
    expect(error?.message).toMatch(
      /^all LLM providers failed: groq: groq\.llm: 500 .*; cerebras: cerebras\.llm: 429 .*; anthropic: anthropic\.llm: 401 /,
    );
    expect(error?.message).not.toContain(TEST_KEY);
    expect((error as AllLlmProvidersFailedError).attempts.map((a) => a.reason)).toEqual([
      'error',
      'error',
      'error',
    ]);
  });

  it('counts an open circuit as a failure reason', async () => {
    const open = new CircuitBreaker({ failureThreshold: 1 });
    open.recordFailure();
    const llm = new FallbackLlm({
      providers: [
        { name: 'a', stage: new ScriptedLlm(), breaker: open },
        { name: 'b', stage: new ScriptedLlm(() => [{ type: 'fail', message: 'b.llm: down' }]) },
      ],
    });
    const { error } = await run(llm, ask('hi'));
    expect(error?.message).toBe('all LLM providers failed: a: circuit open, skipped; b: b.llm: down');
  });

  it('refuses an empty chain', () => {
    expect(() => new FallbackLlm({ providers: [] })).toThrow(/at least one provider/);
  });
});

describe('fallback.llm and the provider signal', () => {
  /** A provider that streams `n` words and keeps the signal it was given. */
  function capturing(n: number) {
    const seen: { signal: AbortSignal | null } = { signal: null };
    const stage: LlmStage = {
      label: 'capture.llm',
      async *generate(_request, signal) {
        seen.signal = signal;
        for (let i = 0; i < n; i++) yield { type: 'text', delta: `w${i} ` };
        yield { type: 'done', finishReason: 'stop', usage: null };
      },
    };
    return { llm: new FallbackLlm({ providers: [{ name: 'capture', stage }] }), seen };
  }

  it('leaves the signal of a stream that ended alone, and aborts it when the caller stops early', async () => {
    const whole = capturing(3);
    const { events, error } = await run(whole.llm, ask('hi'));
    expect([error, events.length]).toEqual([null, 4]);
    expect(whole.seen.signal?.aborted).toBe(false);

    const cut = capturing(3);
    for await (const e of cut.llm.generate(ask('hi'), new AbortController().signal))
      if (e.type === 'text') break;
    expect(cut.seen.signal?.aborted).toBe(true);
  });
});
