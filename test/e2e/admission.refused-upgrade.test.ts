/** A session slot taken for an upgrade that `ws` itself refuses goes back when the socket closes. */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { closeOf, httpGet } from '../helpers/http.js';
import { TestClient } from '../helpers/ws-client.js';

let gw: TestGateway | null = null;
afterEach(async () => {
  await gw?.close();
  gw = null;
});

/** An upgrade our handshake accepts but `ws` rejects (bad Sec-WebSocket-Version): HTTP 400. */
function badVersionUpgrade(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write(
        'GET /v1/realtime HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n' +
          'Authorization: Bearer test-key\r\n\r\n',
      );
    });
    let text = '';
    s.on('data', (d) => (text += d.toString()));
    s.on('close', () => resolve(text));
    s.on('error', reject);
  });
}

describe('admission', () => {
  it('a refused-by-ws upgrade gives its session slot back', async () => {
    gw = await startGateway({ env: { MAX_SESSIONS: '2' } });
    for (let i = 0; i < 2; i++) expect(await badVersionUpgrade(gw.port)).toMatch(/^HTTP\/1.1 400/);
    // No session exists, so the gateway should be ready and accept a client.
    expect(gw.gateway.sessionCount).toBe(0);
    const ready = await httpGet(gw.port, '/readyz');
    expect(ready.json).toMatchObject({ sessions: 0 });
    const c = await TestClient.connect(gw.url);
    const closed = closeOf(c.ws);
    await Promise.race([c.next('session.created', () => true, 2_000), closed]);
    expect(c.types()).toEqual(['session.created']);
    await c.close();
  });
});
