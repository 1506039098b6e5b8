/** Provider selection: `auto` resolves by the keys present; a partial set names what is missing. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { DEFAULT_MAX_BATCH_WAIT_MS } from '../../src/providers/silero/silero-vad.js';

const CLOUD = { DEEPGRAM_API_KEY: 'd', CARTESIA_API_KEY: 'c', CARTESIA_VOICE: 'voice-id', GROQ_API_KEY: 'g' };

describe('GATEWAY_PROVIDERS', () => {
  it('auto with no keys runs offline, keys never carried over', () => {
    const p = loadConfig({}).providers;
    expect(p).toMatchObject({
      mode: 'offline',
      requested: 'auto',
      llmOrder: ['groq', 'cerebras', 'anthropic'],
    });
    expect(p.deepgram.apiKey).toBeNull();
  });

  it('auto with every needed key runs on the cloud; the chain keeps only providers with keys', () => {
    const p = loadConfig({
      ...CLOUD,
      ANTHROPIC_API_KEY: 'a',
      GROQ_BASE_URL: 'http://vllm.internal:8000',
    }).providers;
    expect(p.mode).toBe('cloud');
    expect(p.llmOrder).toEqual(['groq', 'anthropic']);
    expect(p.llm.groq).toEqual({
      apiKey: 'g',
      baseUrl: 'http://vllm.internal:8000',
      model: 'llama-3.1-8b-instant',
    });
  });

  it('a partial set of keys is an error naming each missing one', () => {
    expect(() => loadConfig({ GROQ_API_KEY: 'g' })).toThrow(ConfigError);
    expect(() => loadConfig({ GROQ_API_KEY: 'g' })).toThrow(
      /DEEPGRAM_API_KEY; CARTESIA_API_KEY; CARTESIA_VOICE/,
    );
    expect(() => loadConfig({ DEEPGRAM_API_KEY: 'd', CARTESIA_API_KEY: 'c', CARTESIA_VOICE: 'v' })).toThrow(
      /one of GROQ_API_KEY, CEREBRAS_API_KEY, ANTHROPIC_API_KEY/,
    );
  });

  it('offline ignores keys; cloud without keys is an error', () => {
    expect(loadConfig({ ...CLOUD, GATEWAY_PROVIDERS: 'offline' }).providers).toMatchObject({
      mode: 'offline',
      llm: { groq: { apiKey: null } },
    });
    expect(() => loadConfig({ GATEWAY_PROVIDERS: 'cloud' })).toThrow(/GATEWAY_PROVIDERS=cloud/);
  });

  it('reads the fallback order and the voice map, and refuses malformed ones', () => {
    const p = loadConfig({
      ...CLOUD,
      CEREBRAS_API_KEY: 'x',
      LLM_FALLBACK_ORDER: 'cerebras, groq',
      CARTESIA_VOICE_MAP: 'alloy=id-1, verse=id-2',
    }).providers;
    expect(p.llmOrder).toEqual(['cerebras', 'groq']);
    expect(p.cartesia.voiceMap).toEqual({ alloy: 'id-1', verse: 'id-2' });
    expect(() => loadConfig({ LLM_FALLBACK_ORDER: 'openai' })).toThrow(ConfigError);
    expect(() => loadConfig({ CARTESIA_VOICE_MAP: 'alloy' })).toThrow(/CARTESIA_VOICE_MAP/);
    expect(() => loadConfig({ DEEPGRAM_BASE_URL: 'ftp://x' })).toThrow(/DEEPGRAM_BASE_URL/);
  });
});

describe('operations options', () => {
  it('reads caps, timeouts and switches with their defaults', () => {
    const d = loadConfig({});
    expect(d).toMatchObject({
      maxSessions: 500,
      maxSessionsPerKey: 0,
      drainTimeoutMs: 30_000,
      metrics: 'auto',
      logContent: false,
    });
    expect(d.limits).toMatchObject({ idleTimeoutMs: 600_000, outboundHighWaterBytes: 1_048_576 });
    const c = loadConfig({
      MAX_SESSIONS: '3',
      MAX_SESSIONS_PER_KEY: '1',
      SESSION_IDLE_TIMEOUT_MS: '0',
      LOG_CONTENT: 'true',
    });
    expect(c).toMatchObject({ maxSessions: 3, maxSessionsPerKey: 1, logContent: true });
    expect(c.limits.idleTimeoutMs).toBe(0);
  });

  it('reads the heap growing percent, 100 by default, and refuses a negative one', () => {
    expect(loadConfig({}).heapGrowingPercent).toBe(100);
    expect(loadConfig({ HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent).toBe(0);
    expect(() => loadConfig({ HEAP_GROWING_PERCENT: '-5' })).toThrow(/HEAP_GROWING_PERCENT/);
    expect(() => loadConfig({ HEAP_GROWING_PERCENT: '301' })).toThrow(/HEAP_GROWING_PERCENT/);
  });

  it("reads the LLM's context window, 32,768 tokens by default, and refuses one under 8,192", () => {
    expect(loadConfig({}).limits.llmContextTokens).toBe(32_768);
    expect(loadConfig({ LLM_CONTEXT_TOKENS: '131072' }).limits.llmContextTokens).toBe(131_072);
    expect(() => loadConfig({ LLM_CONTEXT_TOKENS: '4096' })).toThrow(/LLM_CONTEXT_TOKENS/);
  });

  it('reads the VAD host and batch wait, and refuses a wait outside 0 to 100 ms', () => {
    expect(loadConfig({}).providers).toMatchObject({
      vadHost: 'process',
      vadBatchWaitMs: DEFAULT_MAX_BATCH_WAIT_MS,
    });
    const c = loadConfig({ VAD_HOST: 'caller', VAD_BATCH_WAIT_MS: '0' });
    expect(c.providers).toMatchObject({ vadHost: 'caller', vadBatchWaitMs: 0 });
    expect(() => loadConfig({ VAD_BATCH_WAIT_MS: '-1' })).toThrow(ConfigError);
    expect(() => loadConfig({ VAD_BATCH_WAIT_MS: '2000' })).toThrow(ConfigError);
  });

  it('refuses a high-water mark at or above the hard outbound limit', () => {
    expect(() =>
      loadConfig({ OUTBOUND_HIGH_WATER_BYTES: '131072', MAX_OUTBOUND_BUFFER_BYTES: '131072' }),
    ).toThrow(/OUTBOUND_HIGH_WATER_BYTES/);
    expect(() => loadConfig({ MAX_SESSIONS: '0' })).toThrow(ConfigError);
  });
});
