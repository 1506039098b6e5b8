/** The URL Twilio signs: PUBLIC_URL when set, else the proxy's forwarded headers; and telephony off. */
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { AUTH_TOKEN, sign } from './helpers.js';

let gw: TestGateway | null = null;
afterEach(async () => {
  await gw?.close();
  gw = null;
});

const form = { CallSid: 'CA42', From: '+15557654321' };
function post(port: number, signature: string, headers: Record<string, string> = {}) {
  return fetch(`http://127.0.0.1:${port}/twilio/voice`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signature,
      ...headers,
    },
    body: new URLSearchParams(form).toString(),
  });
}

describe('the URL Twilio dialled', () => {
  it('is PUBLIC_URL when set: signatures are checked against it and the stream URL is built on it', async () => {
    gw = await startGateway({
      env: { TWILIO_AUTH_TOKEN: AUTH_TOKEN, PUBLIC_URL: 'https://gw.example.com/' },
    });
    const res = await post(gw.port, sign(AUTH_TOKEN, 'https://gw.example.com/twilio/voice', form));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<Stream url="wss://gw.example.com/twilio/stream">');
    // Signed for the socket's own address, it is refused: Twilio never dialled that.
    const local = await post(gw.port, sign(AUTH_TOKEN, `http://127.0.0.1:${gw.port}/twilio/voice`, form));
    expect(local.status).toBe(403);
  });

  it('comes from X-Forwarded-Proto and X-Forwarded-Host behind a proxy', async () => {
    gw = await startGateway({ env: { TWILIO_AUTH_TOKEN: AUTH_TOKEN } });
    const res = await post(gw.port, sign(AUTH_TOKEN, 'https://tunnel.example.net/twilio/voice', form), {
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'tunnel.example.net',
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<Stream url="wss://tunnel.example.net/twilio/stream">');
  });
});

describe('without TWILIO_AUTH_TOKEN', () => {
  it('answers the Twilio routes with 404 and says how to turn them on', async () => {
    gw = await startGateway();
    const res = await post(gw.port, 'x');
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('TWILIO_AUTH_TOKEN');
    expect(gw.gateway.callCount).toBe(0);
  });
});
