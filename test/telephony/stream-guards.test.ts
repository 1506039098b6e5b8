/**
 * The stream endpoint beyond its signature: a `start` the voice webhook did not vouch for opens
 * nothing, a signed socket that never starts is closed, and the gateway closes with Twilio
 * sockets open even when the peer never answers the close.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TwilioPeer } from '../../src/emulators/twilio/peer.js';
import { startGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { AUTH_TOKEN, sign } from './helpers.js';

let gw: TestGateway | null = null;
afterEach(async () => {
  await gw?.close();
  gw = null;
});

async function openStream(g: TestGateway): Promise<WebSocket> {
  const url = `ws://127.0.0.1:${g.port}/twilio/stream`;
  // The upgrade signature covers only the URL: anyone who saw one has it.
  const ws = new WebSocket(url, { headers: { 'x-twilio-signature': sign(AUTH_TOKEN, url, {}) } });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}
const closeCode = (ws: WebSocket) =>
  new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

function start(callSid: string, token?: string) {
  return JSON.stringify({
    event: 'start',
    streamSid: 'MZ1',
    start: {
      streamSid: 'MZ1',
      accountSid: 'AC1',
      callSid,
      customParameters: { caller: '+15550000000', language: 'en', ...(token ? { token } : {}) },
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    },
  });
}

describe('the stream endpoint', () => {
  it('refuses a start the voice webhook did not vouch for, opening no session', async () => {
    gw = await startGateway({ env: { TWILIO_AUTH_TOKEN: AUTH_TOKEN } });
    for (const token of [undefined, 'forged-token']) {
      const ws = await openStream(gw);
      const closed = closeCode(ws);
      ws.send(start('CAforged', token));
      expect(await closed).toBe(1008);
    }
    expect(gw.events.size).toBe(0);
    expect(gw.gateway.callCount).toBe(0);
  });

  it('closes a signed socket that never sends start', async () => {
    gw = await startGateway({ env: { TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_START_TIMEOUT_MS: '200' } });
    const ws = await openStream(gw);
    expect(await closeCode(ws)).toBe(1008);
  });
});

describe('gateway close with Twilio sockets open', () => {
  const closesWithin = (g: TestGateway, ms: number) =>
    Promise.race([g.close().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

  it('does not wait for a socket that has not started', async () => {
    const g = await startGateway({ env: { TWILIO_AUTH_TOKEN: AUTH_TOKEN } });
    const ws = await openStream(g);
    expect(await closesWithin(g, 5_000)).toBe(true);
    ws.terminate();
  });

  it('cuts a live call whose peer never answers the close', async () => {
    const g = await startGateway({ env: { TWILIO_AUTH_TOKEN: AUTH_TOKEN } });
    const peer = await TwilioPeer.call({
      baseUrl: `http://127.0.0.1:${g.port}`,
      authToken: AUTH_TOKEN,
      sign,
      from: '+15551234567',
    });
    // Twilio stops reading (a stalled network): the closing handshake never completes.
    const socket = (peer as unknown as { ws: { _socket: { pause(): void } } }).ws._socket;
    socket.pause();
    expect(await closesWithin(g, 5_000)).toBe(true);
  }, 15_000);
});
