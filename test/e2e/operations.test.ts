/**
 * Operations over real sockets: session caps (`session_limit_reached` then close 1013), `/readyz`,
 * the idle timeout (`session_expired` then close 1001), and the graceful drain (a response in
 * flight finishes, new connections get 503 `server_draining`, every socket closes with 1001).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../protocol/realtime/index.js';
import { startGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { closeOf, httpGet, refusedUpgrade } from '../helpers/http.js';
import { TestClient } from '../helpers/ws-client.js';

let gw: TestGateway | null = null;
afterEach(async () => {
  await gw?.close();
  gw = null;
});

const connectAs = (url: string, key: string) =>
  TestClient.connect(url, { headers: { authorization: `Bearer ${key}` } });

/** A text response of two sentences with a pause between them. */
const twoSentences = (pauseMs: number) => () => [
  { type: 'text' as const, delta: 'Hello there. ' },
  { type: 'wait' as const, ms: pauseMs },
  { type: 'text' as const, delta: 'Goodbye.' },
  { type: 'done' as const, finishReason: 'stop' as const, usage: null },
];

describe('session caps', () => {
  it('refuses past MAX_SESSIONS_PER_KEY and MAX_SESSIONS with one error event, then close 1013', async () => {
    gw = await startGateway({
      env: { GATEWAY_API_KEYS: 'k1,k2,k3', MAX_SESSIONS: '2', MAX_SESSIONS_PER_KEY: '1' },
    });
    const first = await connectAs(gw.url, 'k1');
    await first.next('session.created');
    expect((await httpGet(gw.port, '/readyz')).json).toEqual({
      status: 'ready',
      sessions: 1,
      maxSessions: 2,
      eventLoopUtilization: expect.any(Number),
      projectedEventLoopUtilization: expect.any(Number),
    });

    // A second session for k1: the upgrade succeeds, one error is the only event, then 1013.
    const sameKey = await connectAs(gw.url, 'k1');
    const closed = await closeOf(sameKey.ws);
    expect(sameKey.types()).toEqual(['error']);
    expect(sameKey.received[0]!.error).toEqual({
      type: ERROR_CODES.session_limit_reached.type,
      code: 'session_limit_reached',
      message: expect.stringContaining('API key'),
      param: null,
      event_id: null,
    });
    expect(closed).toEqual({ code: 1013, reason: 'session limit reached' });

    const second = await connectAs(gw.url, 'k2');
    await second.next('session.created');
    const full = await httpGet(gw.port, '/readyz');
    expect(full.status).toBe(503);
    expect(full.json).toEqual({
      status: 'full',
      sessions: 2,
      maxSessions: 2,
      eventLoopUtilization: expect.any(Number),
      projectedEventLoopUtilization: expect.any(Number),
    });

    // The process cap: another key is refused too.
    const third = await connectAs(gw.url, 'k3');
    expect(await closeOf(third.ws)).toMatchObject({ code: 1013 });
    expect(third.received[0]!.error).toMatchObject({ code: 'session_limit_reached' });
    expect(String((third.received[0]!.error as { message: string }).message)).toContain('2 sessions');

    // A closed session gives its slot back, to its key as well.
    await first.close();
    await expect.poll(async () => (await httpGet(gw!.port, '/readyz')).status).toBe(200);
    const again = await connectAs(gw.url, 'k1');
    await again.next('session.created');
    await again.close();
    await second.close();
  });
});

describe('load guard', () => {
  it('refuses new sessions while the event loop is saturated, and admits again once it is not', async () => {
    // The loop's cumulative busy and idle ms, as the guard reads them: busy from the start.
    const loop = { active: 0, idle: 0 };
    gw = await startGateway({
      env: { MAX_EVENT_LOOP_UTILIZATION: '0.9' },
      loadSampler: () => ({ ...loop }),
    });
    const open = await TestClient.connect(gw.url);
    await open.next('session.created');

    loop.active += 4_000;
    loop.idle += 200;
    const refused = await TestClient.connect(gw.url);
    expect(await closeOf(refused.ws)).toEqual({ code: 1013, reason: 'session limit reached' });
    expect(refused.types()).toEqual(['error']);
    expect(refused.received[0]!.error).toMatchObject({
      code: 'session_limit_reached',
      message: expect.stringContaining('processing capacity'),
    });
    const busy = await httpGet(gw.port, '/readyz');
    expect(busy.status).toBe(503);
    expect(busy.json).toEqual({
      status: 'overloaded',
      sessions: 1,
      maxSessions: 500,
      eventLoopUtilization: 0.952,
      // At least the reading; more when a sample of the window saw fewer sessions than are open
      // (the guard's timer decides whether one did).
      projectedEventLoopUtilization: expect.any(Number),
    });
    expect(
      (busy.json as { projectedEventLoopUtilization: number }).projectedEventLoopUtilization,
    ).toBeGreaterThanOrEqual(0.952);
    const metrics = await httpGet(gw.port, '/metrics');
    expect(metrics.text).toContain('realtime_gateway_sessions_refused_total{reason="overloaded"} 1');
    expect(metrics.text).toContain('realtime_gateway_event_loop_utilization 0.952');
    // The open session goes on.
    open.send({ type: 'response.create' });
    await open.next('response.done');

    loop.idle += 40_000;
    expect((await httpGet(gw.port, '/readyz')).status).toBe(200);
    const again = await TestClient.connect(gw.url);
    await again.next('session.created');
    await again.close();
    await open.close();
  });
});

describe('idle timeout', () => {
  it('a session with no client events and no response ends with session_expired, then 1001', async () => {
    gw = await startGateway({ env: { SESSION_IDLE_TIMEOUT_MS: '150' } });
    const c = await TestClient.connect(gw.url);
    await c.next('session.created');
    const closed = closeOf(c.ws);
    const error = await c.next('error', () => true, 5_000);
    expect(error.error).toMatchObject({ type: 'invalid_request_error', code: 'session_expired' });
    expect(String((error.error as { message: string }).message)).toContain('idle');
    expect(await closed).toEqual({ code: 1001, reason: 'session idle' });
  });

  it('a running response is not idleness: the session ends only after it is done', async () => {
    gw = await startGateway({ env: { SESSION_IDLE_TIMEOUT_MS: '150' }, llm: twoSentences(400) });
    const c = await TestClient.connect(gw.url);
    await c.next('session.created');
    c.send({ type: 'response.create', response: { output_modalities: ['text'] } });
    const closed = closeOf(c.ws);
    const done = await c.next('response.done', () => true, 5_000);
    expect(done.response).toMatchObject({ status: 'completed' });
    await c.next('error', (e) => (e.error as { code: string }).code === 'session_expired', 5_000);
    expect((await closed).code).toBe(1001);
  });
});

describe('graceful drain', () => {
  it('lets a response finish, refuses new sessions with 503, closes every socket with 1001', async () => {
    gw = await startGateway({ llm: twoSentences(300) });
    const busy = await TestClient.connect(gw.url);
    await busy.next('session.created');
    const idle = await TestClient.connect(gw.url);
    await idle.next('session.created');
    busy.send({ type: 'response.create', response: { output_modalities: ['text'] } });
    await busy.next('response.created');
    const busyClosed = closeOf(busy.ws);
    const idleClosed = closeOf(idle.ws);

    const drained = gw.gateway.drain(10_000);
    // The idle session goes at once; the busy one is still open while its response runs.
    expect(await idleClosed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(busy.ws.readyState).toBe(busy.ws.OPEN);

    const refused = await refusedUpgrade(gw.url);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.body.error).toMatchObject({
      code: 'server_draining',
      type: ERROR_CODES.server_draining.type,
      param: null,
    });
    const ready = await httpGet(gw.port, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.json).toMatchObject({ status: 'draining' });
    expect((await httpGet(gw.port, '/healthz')).status).toBe(200);

    const done = await busy.next('response.done', () => true, 5_000);
    expect(done.response).toMatchObject({ status: 'completed' });
    expect(await busyClosed).toEqual({ code: 1001, reason: 'server shutting down' });
    await drained;
    expect(gw.gateway.sessionCount).toBe(0);
  });

  it('closes a response still running at the deadline with 1001', async () => {
    gw = await startGateway({ llm: twoSentences(10_000) });
    const c = await TestClient.connect(gw.url);
    await c.next('session.created');
    c.send({ type: 'response.create', response: { output_modalities: ['text'] } });
    await c.next('response.created');
    const closed = closeOf(c.ws);
    await gw.gateway.drain(100);
    expect(await closed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(c.types()).not.toContain('response.done');
  });
});
