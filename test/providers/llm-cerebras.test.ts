/** CerebrasLlm through @cerebras/cerebras_cloud_sdk against the Cerebras emulator. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCerebrasEmulator } from '../../src/emulators/llm/index.js';
import type { RunningLlmEmulator } from '../../src/emulators/llm/index.js';
import { CerebrasLlm } from '../../src/providers/cerebras/cerebras-llm.js';
import type { FetchFunction } from '../../src/providers/llm-common/node-fetch.js';
import { FAST, ask, llmAdapterSuite } from './llm-adapter-suite.js';

describe('cerebras.llm', () => {
  llmAdapterSuite('cerebras.llm', startCerebrasEmulator, (opts) => new CerebrasLlm(opts));

  describe('emulator extras', () => {
    let emu: RunningLlmEmulator;
    beforeAll(async () => {
      emu = await startCerebrasEmulator({ latency: FAST });
    });
    afterAll(() => emu.close());

    it("answers the SDK constructor's GET /v1/tcp_warming", async () => {
      const r = await fetch(`${emu.baseUrl}/v1/tcp_warming`);
      expect(r.status).toBe(200);
      await r.text();
    });

    it.each([
      ['the node:http fetch', undefined],
      ["Node's own fetch", ((input, init) => fetch(input, init)) as FetchFunction],
    ])(
      'gets each event when it is sent, not when the next one arrives, over %s (SDK splitter workaround)',
      async (_, transport) => {
        const slow = await startCerebrasEmulator({ latency: { firstTokenMs: 5, tokensPerSecond: 2 } });
        try {
          const stage = new CerebrasLlm({ apiKey: 'k', baseUrl: slow.baseUrl, fetch: transport });
          const ac = new AbortController();
          const t0 = Date.now();
          let firstTokenMs = -1;
          for await (const e of stage.generate(ask('one two three'), ac.signal)) {
            if (e.type === 'text') {
              firstTokenMs = Date.now() - t0;
              ac.abort();
            }
          }
          // The next token is 500 ms behind the first: without the workaround the first waits for it.
          expect(firstTokenMs).toBeGreaterThanOrEqual(0);
          expect(firstTokenMs).toBeLessThan(400);
        } finally {
          await slow.close();
        }
      },
    );

    it('sends usage and time_info in the final chunk', async () => {
      const r = await fetch(`${emu.baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer k' },
        body: JSON.stringify({
          model: 'llama3.1-8b',
          messages: [{ role: 'user', content: 'hi' }],
          stream: true,
        }),
      });
      const chunks = (await r.text())
        .split('\n\n')
        .filter(Boolean)
        .map((l) => l.replace(/^data: /, ''));
      expect(chunks.at(-1)).toBe('[DONE]');
      const last = JSON.parse(chunks.at(-2)!);
      expect(last.choices[0].finish_reason).toBe('stop');
      expect(last.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: 3 });
      expect(last.time_info).toMatchObject({ total_time: expect.any(Number) });
    });
  });
});
