/** Calls take session slots: over the cap, under the load guard or while draining, Twilio is told the line is busy. */
import { afterEach, describe, expect, it } from 'vitest';
import { TwilioPeer } from '../../src/emulators/twilio/peer.js';
import { startGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { TestClient } from '../helpers/ws-client.js';
import { AUTH_TOKEN, sign } from './helpers.js';

let gw: TestGateway | null = null;
afterEach(async () => {
  await gw?.close();
  gw = null;
});

const BUSY = '<?xml version="1.0" encoding="UTF-8"?><Response><Reject reason="busy"/></Response>';
const baseUrl = (g: TestGateway) => `http://127.0.0.1:${g.port}`;

async function ring(g: TestGateway, callSid: string): Promise<string> {
  const form = { CallSid: callSid, From: '+15557654321' };
  const url = `${baseUrl(g)}/twilio/voice`;
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': sign(AUTH_TOKEN, url, form),
    },
    body: new URLSearchParams(form).toString(),
  });
  expect(res.status).toBe(200);
  return res.text();
}

describe('call admission', () => {
  it('counts calls against MAX_SESSIONS and answers busy past it', async () => {
    gw = await startGateway({ env: { TWILIO_AUTH_TOKEN: AUTH_TOKEN, MAX_SESSIONS: '2' } });
    const client = await TestClient.connect(gw.url);
    expect(await ring(gw, 'CA1')).toContain('<Connect><Stream');
    expect(gw.gateway.callCount).toBe(1);
    expect(await ring(gw, 'CA2')).toBe(BUSY);
    expect(gw.gateway.callCount).toBe(1);
    const metrics = await gw.gateway.metrics.registry.metrics();
    expect(metrics).toMatch(/realtime_gateway_sessions_active\{transport="twilio"\} 1/);
    expect(metrics).toMatch(/realtime_gateway_sessions_refused_total\{reason="max_sessions"\} 1/);
    client.ws.close();
  });

  it('answers busy while the load guard refuses, and connects calls again once the loop is not saturated', async () => {
    const loop = { active: 0, idle: 0 };
    gw = await startGateway({
      env: { TWILIO_AUTH_TOKEN: AUTH_TOKEN, MAX_EVENT_LOOP_UTILIZATION: '0.8' },
      loadSampler: () => ({ ...loop }),
    });
    loop.active += 3_000;
    expect(await ring(gw, 'CA4')).toBe(BUSY);
    expect(gw.gateway.callCount).toBe(0);
    const metrics = await gw.gateway.metrics.registry.metrics();
    expect(metrics).toMatch(/realtime_gateway_sessions_refused_total\{reason="overloaded"\} 1/);
    loop.idle += 30_000;
    expect(await ring(gw, 'CA5')).toContain('<Connect><Stream');
    expect(gw.gateway.callCount).toBe(1);
  });

  it('while draining: lets a call finish what it is saying, ends it, and answers new calls busy', async () => {
    gw = await startGateway({ env: { TWILIO_AUTH_TOKEN: AUTH_TOKEN } });
    const peer = await TwilioPeer.call({
      baseUrl: baseUrl(gw),
      authToken: AUTH_TOKEN,
      sign,
      from: '+15557654321',
    });
    await peer.until(() => peer.events.some((e) => e.kind === 'media'), 5_000, 'the greeting');
    const drained = gw.gateway.drain(10_000);
    expect(await ring(gw, 'CA3')).toBe(BUSY);
    await drained;
    await peer.closedPromise();
    // The greeting had played out by the caller's clock before the call ended.
    expect(performance.now()).toBeGreaterThanOrEqual(peer.playoutEndsAt - 20);
    expect(gw.gateway.callCount).toBe(0);
    const metrics = await gw.gateway.metrics.registry.metrics();
    expect(metrics).toMatch(/realtime_gateway_sessions_active\{transport="twilio"\} 0/);
  });
});
