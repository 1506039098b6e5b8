/**
 * The upgrade at /v1/realtime over real sockets: where keys come from, refusals as real HTTP
 * statuses with the OpenAI error envelope, subprotocol echo, dialect detection, TLS.
 */
import { request } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { makeDevCert } from '../../scripts/dev-cert.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { TestClient } from '../helpers/ws-client.js';

/** Attempts an upgrade; resolves with the HTTP status and body of a refusal, or 101 and the protocol. */
function tryUpgrade(
  url: string,
  opts: { protocols?: string[]; headers?: Record<string, string>; ca?: string } = {},
): Promise<{
  status: number;
  body?: { error: { code: string; type: string; message: string } };
  protocol?: string;
  first?: Record<string, unknown>;
}> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers, ca: opts.ca });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    ws.once('message', (data) => {
      resolve({ status: 101, protocol: ws.protocol, first: JSON.parse(data.toString()) });
      ws.close();
    });
    ws.once('error', (err) => {
      if (!String(err.message).startsWith('Unexpected server response')) reject(err);
    });
  });
}

function httpGet(port: number, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    })
      .on('error', reject)
      .end();
  });
}

describe('handshake with keys configured', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({
      env: { GATEWAY_API_KEYS: 'k-one, k-two', GATEWAY_ALLOWED_ORIGINS: 'https://app.example' },
    });
  });
  afterAll(() => gw.close());

  it('accepts the key from Authorization, the subprotocol, the api-key header and query', async () => {
    expect((await tryUpgrade(gw.url, { headers: { authorization: 'Bearer k-two' } })).status).toBe(101);
    const viaProtocol = await tryUpgrade(gw.url, {
      protocols: ['realtime', 'openai-insecure-api-key.k-one'],
    });
    expect(viaProtocol).toMatchObject({ status: 101, protocol: 'realtime' });
    expect((await tryUpgrade(gw.url, { headers: { 'api-key': 'k-one' } })).status).toBe(101);
    expect((await tryUpgrade(`${gw.url}?api-key=k-one`)).status).toBe(101);
  });

  it('refuses a missing or wrong key with 401 invalid_api_key', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer nope' },
      { authorization: 'Bearer k-one2' },
    ];
    for (const headers of attempts) {
      const r = await tryUpgrade(gw.url, { headers });
      expect(r.status).toBe(401);
      expect(r.body?.error).toMatchObject({ code: 'invalid_api_key', type: 'authentication_error' });
    }
  });

  it('refuses a browser origin outside GATEWAY_ALLOWED_ORIGINS with 403', async () => {
    const bad = await tryUpgrade(gw.url, {
      headers: { authorization: 'Bearer k-one', origin: 'https://evil.example' },
    });
    expect(bad).toMatchObject({ status: 403, body: { error: { code: 'origin_not_allowed' } } });
    const good = await tryUpgrade(gw.url, {
      headers: { authorization: 'Bearer k-one', origin: 'https://app.example' },
    });
    expect(good.status).toBe(101);
  });
});

describe('handshake without keys (loopback)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  it('404 for another path, 400 for call_id, an unknown intent, or model with intent', async () => {
    const base = `ws://127.0.0.1:${gw.port}`;
    expect(await tryUpgrade(`${base}/v1/other`)).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    });
    for (const q of ['?call_id=rtc_1', '?intent=translate', '?model=m&intent=transcription']) {
      expect(await tryUpgrade(`${gw.url}${q}`)).toMatchObject({
        status: 400,
        body: { error: { code: 'invalid_handshake' } },
      });
    }
  });

  it('GET /healthz is 200; a plain GET of /v1/realtime is 400; anything else 404', async () => {
    expect(await httpGet(gw.port, '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await httpGet(gw.port, '/v1/realtime')).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_handshake' } },
    });
    expect(await httpGet(gw.port, '/nope')).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    });
  });

  it('echoes realtime when subprotocols are offered, none when none are, never the key token', async () => {
    expect(await tryUpgrade(gw.url)).toMatchObject({ status: 101, protocol: '' });
    const browser = await tryUpgrade(gw.url, {
      protocols: ['realtime', 'openai-insecure-api-key.secret', 'openai-agents-sdk.0.1'],
    });
    expect(browser.protocol).toBe('realtime');
    const keyOnly = await tryUpgrade(gw.url, {
      protocols: ['openai-beta.realtime-v1', 'openai-insecure-api-key.secret'],
    });
    expect(keyOnly.protocol).toBe('openai-beta.realtime-v1');
  });

  it('detects beta by header or subprotocol; GA otherwise; the model comes from the URL', async () => {
    const ga = await tryUpgrade(`${gw.url}?model=my-model`);
    expect(ga.first).toMatchObject({
      type: 'session.created',
      session: { type: 'realtime', model: 'my-model' },
    });
    const byHeader = await tryUpgrade(gw.url, { headers: { 'openai-beta': 'realtime=v1' } });
    expect(byHeader.first).toMatchObject({
      type: 'session.created',
      session: { modalities: ['text', 'audio'], input_audio_format: 'pcm16' },
    });
    const byProtocol = await tryUpgrade(gw.url, { protocols: ['realtime', 'openai-beta.realtime-v1'] });
    expect((byProtocol.first?.session as Record<string, unknown>).voice).toBe('alloy');
  });

  it('intent=transcription opens a transcription session (beta: transcription_session.created)', async () => {
    const ga = await tryUpgrade(`${gw.url}?intent=transcription`);
    expect(ga.first).toMatchObject({
      type: 'session.created',
      session: { type: 'transcription', object: 'realtime.transcription_session' },
    });
    const beta = await tryUpgrade(`${gw.url}?intent=transcription`, {
      headers: { 'openai-beta': 'realtime=v1' },
    });
    expect(beta.first).toMatchObject({ type: 'transcription_session.created' });
  });
});

describe('limits at the socket', () => {
  it('answers a frame over MAX_MESSAGE_BYTES with message_too_large and keeps going; closes 1009 past twice that', async () => {
    const gw = await startGateway({ env: { MAX_MESSAGE_BYTES: '4096' } });
    try {
      const c = await TestClient.connect(gw.url);
      await c.next('session.created');
      c.send({ type: 'input_audio_buffer.append', event_id: 'big', audio: 'A'.repeat(6000) });
      const err = await c.next('error');
      expect(err.error).toMatchObject({ code: 'message_too_large', event_id: null });
      c.send({ type: 'input_audio_buffer.clear' });
      await c.next('input_audio_buffer.cleared');
      const closed = new Promise<number>((resolve) => c.ws.once('close', (code) => resolve(code)));
      c.send({ type: 'input_audio_buffer.append', audio: 'A'.repeat(9000) });
      expect(await closed).toBe(1009);
    } finally {
      await gw.close();
    }
  });
});

describe('origins when no keys are configured', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  it('allows loopback pages and refuses other sites (WebSockets bypass CORS)', async () => {
    for (const origin of ['http://localhost:3000', 'http://127.0.0.1:5173', 'http://[::1]:8080']) {
      expect((await tryUpgrade(gw.url, { headers: { origin } })).status).toBe(101);
    }
    for (const origin of ['https://evil.example', 'null']) {
      expect(await tryUpgrade(gw.url, { headers: { origin } })).toMatchObject({
        status: 403,
        body: { error: { code: 'origin_not_allowed' } },
      });
    }
  });
});

describe('configuration', () => {
  it('refuses to start on a non-loopback address without keys', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(ConfigError);
    expect(loadConfig({ HOST: '0.0.0.0', GATEWAY_API_KEYS: 'k' }).host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '::1' }).host).toBe('::1');
  });

  it('needs both TLS files or neither', () => {
    expect(() => loadConfig({ TLS_CERT_FILE: '/x.pem' })).toThrow(/TLS_KEY_FILE/);
  });
});

describe('TLS', () => {
  it('serves wss:// with TLS_CERT_FILE and TLS_KEY_FILE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-tls-'));
    const { cert, key } = await makeDevCert();
    writeFileSync(join(dir, 'cert.pem'), cert);
    writeFileSync(join(dir, 'key.pem'), key);
    const gw = await startGateway({
      env: { TLS_CERT_FILE: join(dir, 'cert.pem'), TLS_KEY_FILE: join(dir, 'key.pem') },
    });
    try {
      expect(gw.url.startsWith('wss://')).toBe(true);
      const r = await tryUpgrade(gw.url.replace('127.0.0.1', 'localhost'), { ca: cert });
      expect(r.first).toMatchObject({ type: 'session.created' });
      await expect(tryUpgrade(gw.url)).rejects.toThrow(/self-signed|certificate/);
    } finally {
      await gw.close();
    }
  });
});
