/**
 * The gateway's address as Twilio sees it: the TwiML's stream URL and both signature checks
 * need the URL Twilio dialled, which behind a proxy or tunnel is not the one the socket shows.
 */
import type { IncomingMessage } from 'node:http';

/**
 * The externally visible base URL (`https://host[/prefix]`): `PUBLIC_URL` when set, else the
 * request's `X-Forwarded-Proto`/`X-Forwarded-Host` or `Host` headers.
 */
export function publicBase(req: IncomingMessage, publicUrl: string | null, tls: boolean): string {
  if (publicUrl) return publicUrl;
  const proto = firstHeader(req.headers['x-forwarded-proto']) ?? (tls ? 'https' : 'http');
  const host = firstHeader(req.headers['x-forwarded-host']) ?? req.headers.host ?? 'localhost';
  return `${proto === 'https' || proto === 'wss' ? 'https' : 'http'}://${host}`;
}

/** The WebSocket form of an http(s) base URL. */
export function webSocketBase(httpBase: string): string {
  return httpBase.replace(/^http/, 'ws');
}

/** The first value of a header a proxy chain may have made a list (`https, http`). */
function firstHeader(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  const first = v?.split(',')[0]?.trim();
  return first ? first : undefined;
}
