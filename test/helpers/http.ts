/** Plain HTTP requests and refused upgrades against a test gateway. */
import { request } from 'node:http';
import WebSocket from 'ws';

/** A GET; the body as text, its JSON when it parses, and the headers. */
export function httpGet(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; json: unknown; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        let json: unknown = null;
        try {
          json = JSON.parse(text);
        } catch {
          // Prometheus text, not JSON.
        }
        resolve({ status: res.statusCode ?? 0, text, json, headers: res.headers });
      });
    })
      .on('error', reject)
      .end();
  });
}

/** Resolves with the close code and reason of a socket. */
export function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.reject(new Error('already closed'));
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

/** An upgrade expected to be refused: its HTTP status, headers and JSON body. */
export function refusedUpgrade(
  url: string,
  opts: { ca?: string } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: { error: Record<string, unknown> } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { authorization: 'Bearer test-key' }, ca: opts.ca });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }),
      );
    });
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
    ws.once('error', (err) => {
      if (!String(err.message).startsWith('Unexpected server response')) reject(err);
    });
  });
}

/** Polls `cond` every 10 ms until it holds; rejects after `timeoutMs`. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
