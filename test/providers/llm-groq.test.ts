/** GroqLlm through groq-sdk against the Groq emulator, including the OpenAI-compatible path rewrite. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCerebrasEmulator, startGroqEmulator } from '../../src/emulators/llm/index.js';
import type { RunningLlmEmulator } from '../../src/emulators/llm/index.js';
import { GroqLlm } from '../../src/providers/groq/groq-llm.js';
import { redact } from '../../src/providers/llm-common/stream-guard.js';
import { FAST, TEST_KEY, ask, llmAdapterSuite, run, textOf } from './llm-adapter-suite.js';

describe('groq.llm', () => {
  llmAdapterSuite('groq.llm', startGroqEmulator, (opts) => new GroqLlm(opts));

  describe('against an OpenAI-compatible server (/v1 paths only)', () => {
    // The Cerebras emulator speaks the same chunks and serves only /v1/chat/completions.
    let v1Only: RunningLlmEmulator;
    beforeAll(async () => {
      v1Only = await startCerebrasEmulator({ latency: FAST });
    });
    afterAll(() => v1Only.close());

    it('reaches /v1/chat/completions through the path rewrite, where plain groq-sdk gets a 404', async () => {
      const plain = await run(new GroqLlm({ apiKey: 'k', baseUrl: v1Only.baseUrl }), ask('hi'));
      expect(plain.error?.message).toMatch(/^groq\.llm: 404/);
      const stage = new GroqLlm({ apiKey: 'k', baseUrl: v1Only.baseUrl, openAiCompatiblePath: true });
      const { events, error } = await run(stage, ask('hello there', { maxOutputTokens: 2 }));
      expect(error).toBeNull();
      expect(textOf(events)).toBe('You said: ');
      expect(events.at(-1)).toMatchObject({ type: 'done', finishReason: 'length' });
      expect(v1Only.lastRequest?.maxOutputTokens).toBe(2);
    });
  });

  describe('emulator wire format (providers.md 2.2, 2.3)', () => {
    let emu: RunningLlmEmulator;
    beforeAll(async () => {
      emu = await startGroqEmulator({ apiKey: TEST_KEY, latency: FAST });
    });
    afterAll(() => emu.close());
    const post = (body: unknown, key = TEST_KEY) =>
      fetch(`${emu.baseUrl}/openai/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
        body: JSON.stringify(body),
      });
    const chat = { model: 'llama-3.1-8b-instant', messages: [{ role: 'user', content: 'hi' }], stream: true };

    it('streams chunks with x_groq.id first and last, usage last, then [DONE]', async () => {
      const r = await post(chat);
      expect(r.headers.get('content-type')).toContain('text/event-stream');
      expect(r.headers.get('keep-alive')).toBe('timeout=60'); // longer than the gateway keeps a socket
      const data = (await r.text()).split('\n\n').filter(Boolean);
      expect(data.every((d) => d.startsWith('data: '))).toBe(true);
      expect(data.at(-1)).toBe('data: [DONE]');
      const chunks = data.slice(0, -1).map((d) => JSON.parse(d.slice(6)));
      expect(chunks[0]).toMatchObject({
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
        x_groq: { id: expect.stringMatching(/^req_/) },
      });
      const last = chunks.at(-1);
      expect(last.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
      expect(last.x_groq).toMatchObject({ id: chunks[0].x_groq.id, usage: { completion_tokens: 3 } });
      expect(chunks.slice(1, -1).map((c) => c.choices[0].delta.content)).toEqual(['You ', 'said: ', 'hi.']);
    });

    it('names a connection cut mid-stream as the peer resetting it, not an abort', async () => {
      emu.setFault({ kind: 'close_mid_stream', afterMs: 0 }, 1);
      const { error } = await run(
        new GroqLlm({ apiKey: TEST_KEY, baseUrl: emu.baseUrl }),
        ask('one two three'),
      );
      expect(error?.message).toMatch(/^groq\.llm: .*\(ECONNRESET\)$/);
    });

    it('answers a 429 with retry-after, x-ratelimit headers and an OpenAI-style body', async () => {
      emu.setFault({ kind: 'http_error', status: 429, retryAfterSeconds: 3 }, 1);
      const r = await post(chat);
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toBe('3');
      expect(r.headers.get('x-ratelimit-remaining-tokens')).toBe('0');
      expect(r.headers.get('x-ratelimit-reset-tokens')).toBe('3s');
      expect(await r.json()).toMatchObject({ error: { type: 'tokens', code: 'rate_limit_exceeded' } });
    });

    it('refuses a wrong key, a malformed body, a non-streaming request and an unknown path', async () => {
      const wrong = await post(chat, 'nope');
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
      const malformed = await post({ model: 'm', messages: [] });
      expect(malformed.status).toBe(400);
      expect(await malformed.json()).toMatchObject({
        error: { message: expect.stringContaining('messages') },
      });
      const unary = await post({ ...chat, stream: false });
      expect(unary.status).toBe(400);
      expect(await unary.json()).toMatchObject({
        error: { message: expect.stringContaining('streaming requests only') },
      });
      const lost = await fetch(`${emu.baseUrl}/openai/v1/models`);
      expect(lost.status).toBe(404);
      await lost.text();
    });
  });

  it('redacts the key and key-like tokens from messages', () => {
    expect(redact(`bad key ${TEST_KEY} given`, TEST_KEY)).toBe('bad key [redacted] given');
    expect(redact('Incorrect API key provided: gsk_abc1234***wxyz', 'other')).toBe(
      'Incorrect API key provided: [redacted]',
    );
  });
});
