/**
 * The emulators over TLS (`tls` option, for `--provider-tls` benchmarks): `https:` base URLs, the
 * LLM streamed through the real groq-sdk, both WebSocket endpoints upgraded over `wss:`, and a
 * client that does not trust the certificate refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { makeDevCert } from '../../scripts/dev-cert.js';
import { CARTESIA_TTS_PATH } from '../../src/emulators/cartesia/index.js';
import { DEEPGRAM_LISTEN_PATH } from '../../src/emulators/deepgram/index.js';
import { startOfflineProviders } from '../../src/emulators/offline.js';
import type { OfflineProviders } from '../../src/emulators/offline.js';
import { GroqLlm } from '../../src/providers/groq/groq-llm.js';
import { createNodeFetch } from '../../src/providers/llm-common/node-fetch.js';

/** Resolves with how a WebSocket handshake ended: `open`, or the error's message. */
function handshake(url: string, ca?: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { ca });
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('error', (err) => resolve(err.message));
  });
}

describe('emulators over TLS', () => {
  let cert: string;
  let providers: OfflineProviders;
  beforeAll(async () => {
    const pair = await makeDevCert();
    cert = pair.cert;
    providers = await startOfflineProviders({ fast: true, tls: pair });
  });
  afterAll(() => providers.close());

  it('give https: base URLs', () => {
    for (const e of [
      providers.deepgram,
      providers.groq,
      providers.cerebras,
      providers.anthropic,
      providers.cartesia,
    ])
      expect(e.baseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('stream an LLM reply to a client that trusts the certificate', async () => {
    const llm = new GroqLlm({
      apiKey: 'k',
      baseUrl: providers.groq.baseUrl,
      fetch: createNodeFetch({ ca: cert }),
    });
    let text = '';
    for await (const e of llm.generate(
      {
        instructions: '',
        messages: [{ role: 'user', content: 'hello' }],
        tools: [],
        toolChoice: 'auto',
        maxOutputTokens: null,
      },
      new AbortController().signal,
    ))
      if (e.type === 'text') text += e.delta;
    expect(text).toContain('hello');
  });

  it('upgrade Deepgram and Cartesia over wss:, and refuse a client without the certificate', async () => {
    const wss = (base: string, path: string) => `${base.replace('https:', 'wss:')}${path}`;
    const deepgram = wss(
      providers.deepgram.baseUrl,
      `${DEEPGRAM_LISTEN_PATH}?encoding=linear16&sample_rate=16000`,
    );
    const cartesia = wss(
      providers.cartesia.baseUrl,
      `${CARTESIA_TTS_PATH}?api_key=k&cartesia_version=2025-04-16`,
    );
    expect(await handshake(deepgram, cert)).toBe('open');
    expect(await handshake(cartesia, cert)).toBe('open');
    expect(await handshake(deepgram)).toMatch(/self[- ]signed/i);
  });
});
