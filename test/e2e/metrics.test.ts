/**
 * `GET /metrics`: who may read it, and what it counts, fed by a real voice turn on the adapters
 * and emulators (per-stage turn latency, the LLM that served, sessions, responses) and by provider
 * faults (fallbacks, provider errors). Barge-in timing is checked on the registry itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../protocol/realtime/index.js';
import { GatewayMetrics } from '../../src/server/metrics.js';
import { createLogger } from '../../src/util/log.js';
import { startGateway, startProviderGateway } from '../helpers/gateway.js';
import type { ProviderGateway } from '../helpers/gateway.js';
import { httpGet } from '../helpers/http.js';
import { speakWeatherTurn } from '../helpers/voice-turn.js';
import { TestClient } from '../helpers/ws-client.js';

/** The value of one series (a histogram's `_count` with `suffix: '_count'`), or 0 if absent. */
async function value(
  m: GatewayMetrics,
  name: string,
  labels: Record<string, string> = {},
  suffix = '',
): Promise<number> {
  const metric = m.registry.getSingleMetric(`realtime_gateway_${name}`);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const series = values.find(
    (v) =>
      (suffix === '' || (v as { metricName?: string }).metricName === `realtime_gateway_${name}${suffix}`) &&
      Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l),
  );
  return series?.value ?? 0;
}

describe('/metrics access', () => {
  it('needs a gateway key when keys are configured (METRICS=auto)', async () => {
    const gw = await startGateway({ env: { GATEWAY_API_KEYS: 'k1' } });
    const without = await httpGet(gw.port, '/metrics');
    expect(without.status).toBe(401);
    expect(without.json).toMatchObject({ error: { code: 'invalid_api_key' } });
    const withKey = await httpGet(gw.port, '/metrics', { authorization: 'Bearer k1' });
    expect(withKey.status).toBe(200);
    expect(withKey.headers['content-type']).toContain('text/plain');
    expect(withKey.text).toContain('realtime_gateway_sessions_active');
    expect(withKey.text).toContain('process_resident_memory_bytes');
    expect(withKey.text).toContain('nodejs_eventloop_lag_seconds');
    // Readiness and liveness stay open to load balancers.
    expect((await httpGet(gw.port, '/readyz')).status).toBe(200);
    await gw.close();
  });

  it('is open with METRICS=public and absent with METRICS=off', async () => {
    const open = await startGateway({ env: { GATEWAY_API_KEYS: 'k1', METRICS: 'public' } });
    expect((await httpGet(open.port, '/metrics')).status).toBe(200);
    await open.close();
    const off = await startGateway({ env: { METRICS: 'off' } });
    const res = await httpGet(off.port, '/metrics');
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ error: { code: 'not_found' } });
    await off.close();
  });
});

describe('the registry', () => {
  it('counts responses by status and never labels a session', async () => {
    const m = new GatewayMetrics({ processMetrics: false });
    const ev = (e: object) => e as ServerEvent;
    for (const reason of ['turn_detected', 'client_cancelled'])
      m.observe(
        'sess_a',
        ev({ type: 'response.done', response: { status: 'cancelled', status_details: { reason } } }),
      );
    m.bargeIn(180);
    expect(await value(m, 'barge_in_stop_seconds', {}, '_count')).toBe(1);
    expect(await value(m, 'barge_in_stop_seconds', {}, '_sum')).toBeCloseTo(0.18);
    expect(await value(m, 'responses_total', { status: 'cancelled' })).toBe(2);
    m.vadRun({ sampleRate: 8000, windows: 40, queuedMs: 12 });
    m.vadRun({ sampleRate: 8000, windows: 2, queuedMs: 4 });
    const at8k = { sample_rate_hz: '8000' };
    expect(await value(m, 'vad_queue_seconds', at8k, '_count')).toBe(2);
    expect(await value(m, 'vad_queue_seconds', at8k, '_sum')).toBeCloseTo(0.016);
    expect(await value(m, 'vad_run_windows', at8k, '_sum')).toBe(42);
    // A saturated gateway's waits of 5 to 10 s fall in a bucket of their own, not only in +Inf.
    m.vadRun({ sampleRate: 8000, windows: 900, queuedMs: 7_000 });
    expect(await value(m, 'vad_queue_seconds', { ...at8k, le: '5' }, '_bucket')).toBe(2);
    expect(await value(m, 'vad_queue_seconds', { ...at8k, le: '10' }, '_bucket')).toBe(3);
    const text = (await m.render()).body;
    expect(text).not.toContain('sess_a');
  });
});

describe('session truncation', () => {
  it('counts each request it cut, and logs the counts of items but not their text', async () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (l) => lines.push(l), content: false });
    // 8,192 tokens less the answer's 4,096 and the instructions leave about 4,000 for 60 items of 100.
    const gw = await startGateway({ env: { LLM_CONTEXT_TOKENS: '8192' }, log });
    const c = await TestClient.open(gw.url, { type: 'realtime', output_modalities: ['text'] });
    for (let i = 0; i < 60; i++) {
      const text = `${i} ${'secret '.repeat(48)}`;
      c.send({
        type: 'conversation.item.create',
        item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
      });
    }
    for (let k = 0; k < 2; k++) {
      c.send({ type: 'response.create' });
      await c.next('response.done');
    }
    await c.close();
    await gw.close();
    const m = gw.gateway.metrics;
    expect(await value(m, 'llm_context_truncated_total')).toBe(2);
    const cut = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'llm context truncated');
    expect(cut).toHaveLength(2);
    expect(cut[0]).toMatchObject({ sessionId: expect.any(String), responseId: expect.any(String) });
    expect(Number(cut[0]!.leftOutItems) + Number(cut[0]!.keptItems)).toBe(60);
    expect(lines.join('\n')).not.toContain('secret');
  });
});

describe('metrics from real turns', () => {
  let gw: ProviderGateway;
  beforeAll(async () => {
    gw = await startProviderGateway({
      env: { LLM_FIRST_TOKEN_DEADLINE_MS: '300' },
      sttScript: ['what is the weather like in paris today'],
    });
  }, 20_000);
  afterAll(() => gw.close());

  it('a voice turn lands in every stage histogram, and the LLM that served and the connections are counted', async () => {
    const m = gw.gateway.metrics;
    const c = await TestClient.connect(gw.url);
    await c.next('session.created');
    expect(await value(m, 'sessions_active', { transport: 'websocket' })).toBe(1);
    const audio = await speakWeatherTurn(c);
    const done = await c.next('response.done', () => true, 15_000);
    expect(done.response).toMatchObject({ status: 'completed' });
    for (const stage of ['vad_wait', 'stt_final', 'llm_first_token', 'sentence_wait', 'tts_first_audio'])
      expect(await value(m, 'turn_stage_seconds', { stage }, '_count'), stage).toBe(1);
    expect(await value(m, 'end_of_speech_to_first_audio_seconds', {}, '_count')).toBe(1);
    // 24 kHz input is scored at 16 kHz in 32 ms windows: all but the resampler's lookahead (under a
    // ms) and the last part window go through model runs.
    const at16k = { sample_rate_hz: '16000' };
    const windows = Math.floor(audio.byteLength / 48 / 32);
    await expect.poll(() => value(m, 'vad_run_windows', at16k, '_sum')).toBeGreaterThanOrEqual(windows - 1);
    expect(await value(m, 'vad_run_windows', at16k, '_sum')).toBeLessThanOrEqual(windows);
    expect(await value(m, 'vad_queue_seconds', at16k, '_count')).toBeGreaterThan(0);
    expect(await value(m, 'llm_served_total', { provider: 'groq' })).toBe(1);
    expect(await value(m, 'responses_total', { status: 'completed' })).toBe(1);
    // One connection to each provider the turn used, none to the fallbacks it did not need.
    for (const [provider, n] of [
      ['deepgram', 1],
      ['groq', 1],
      ['cartesia', 1],
      ['cerebras', 0],
    ] as const)
      expect(await value(m, 'provider_connections_total', { provider }), provider).toBe(n);
    await c.close();
    await expect.poll(() => value(m, 'sessions_active', { transport: 'websocket' })).toBe(0);
    expect(await value(m, 'sessions_total', { transport: 'websocket' })).toBe(1);
  });

  it('a failing Groq is counted as a provider error and a fallback; Cerebras serves', async () => {
    const m = gw.gateway.metrics;
    const e = gw.providers.emulators!;
    e.groq.setFault({ kind: 'http_error', status: 503 }, 1);
    const c = await TestClient.connect(gw.url);
    await c.next('session.created');
    c.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello' }] },
    });
    c.send({ type: 'response.create', response: { output_modalities: ['text'] } });
    const done = await c.next('response.done', () => true, 10_000);
    expect(done.response).toMatchObject({ status: 'completed' });
    expect(await value(m, 'provider_errors_total', { stage: 'llm', provider: 'groq' })).toBe(1);
    expect(await value(m, 'llm_fallbacks_total', { provider: 'groq', reason: 'error' })).toBe(1);
    expect(await value(m, 'llm_served_total', { provider: 'cerebras' })).toBe(1);
    await c.close();
  });
});
