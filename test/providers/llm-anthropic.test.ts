/** AnthropicLlm through @anthropic-ai/sdk against the Anthropic emulator. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnthropicEmulator } from '../../src/emulators/llm/index.js';
import type { RunningLlmEmulator } from '../../src/emulators/llm/index.js';
import { AnthropicLlm, toMessagesRequest } from '../../src/providers/anthropic/anthropic-llm.js';
import { FAST, TEST_KEY, llmAdapterSuite } from './llm-adapter-suite.js';

describe('anthropic.llm', () => {
  llmAdapterSuite('anthropic.llm', startAnthropicEmulator, (opts) => new AnthropicLlm(opts));

  it('maps parallel tool results into one user turn and sends a default max_tokens', () => {
    const body = toMessagesRequest(
      {
        instructions: 'Be brief.',
        messages: [
          { role: 'user', content: 'two lookups' },
          {
            role: 'assistant',
            content: '',
            toolCalls: [
              { id: 't1', name: 'lookup', arguments: '{"q":1}' },
              { id: 't2', name: 'lookup', arguments: 'not json' },
            ],
          },
          { role: 'tool', toolCallId: 't1', content: 'one' },
          { role: 'tool', toolCallId: 't2', content: 'two' },
        ],
        tools: [{ name: 'lookup' }],
        toolChoice: 'required',
        maxOutputTokens: null,
      },
      'claude-haiku-4-5',
      1024,
    );
    expect(body.max_tokens).toBe(1024);
    expect(body.system).toBe('Be brief.');
    expect(body.tool_choice).toEqual({ type: 'any' });
    expect(body.tools?.[0]).toMatchObject({ name: 'lookup', input_schema: { type: 'object' } });
    expect(body.messages).toHaveLength(3);
    expect(body.messages[1]?.content).toEqual([
      { type: 'tool_use', id: 't1', name: 'lookup', input: { q: 1 } },
      { type: 'tool_use', id: 't2', name: 'lookup', input: {} },
    ]);
    expect(body.messages[2]).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 't1', content: 'one' },
        { type: 'tool_result', tool_use_id: 't2', content: 'two' },
      ],
    });
  });

  describe('emulator wire format', () => {
    let emu: RunningLlmEmulator;
    beforeAll(async () => {
      emu = await startAnthropicEmulator({ apiKey: TEST_KEY, latency: FAST });
    });
    afterAll(() => emu.close());

    const post = (headers: Record<string, string>) =>
      fetch(`${emu.baseUrl}/v1/messages`, {
        method: 'POST',
        headers: { 'anthropic-version': '2023-06-01', ...headers },
        body: JSON.stringify({
          model: 'claude-haiku-4-5',
          max_tokens: 64,
          messages: [{ role: 'user', content: 'hi' }],
          stream: true,
        }),
      });

    it('takes the key as x-api-key (0.x SDKs) and streams named events in order', async () => {
      const r = await post({ 'x-api-key': TEST_KEY });
      expect(r.status).toBe(200);
      const names = [...(await r.text()).matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
      expect(names).toEqual([
        'message_start',
        'content_block_start',
        'ping',
        'content_block_delta',
        'content_block_delta',
        'content_block_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ]);
    });

    it("refuses a wrong key with a 401 in Anthropic's error shape", async () => {
      const r = await post({ 'x-api-key': 'wrong' });
      expect(r.status).toBe(401);
      expect(await r.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    });
  });
});
