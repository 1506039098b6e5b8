/**
 * `X-Twilio-Signature`: HMAC-SHA1, keyed by the account's auth token, of the full URL Twilio
 * requested followed by the POST parameters sorted by name (twilio.com/docs/usage/webhooks/webhooks-security).
 * The same header guards the Media Streams WebSocket upgrade, signed over the `<Stream url>`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Form parameters; a name sent more than once has an array of values. */
export type SignedParams = Readonly<Record<string, string | readonly string[]>>;

/** The signature Twilio sends for `url` and `params`. */
export function twilioSignature(authToken: string, url: string, params: SignedParams = {}): string {
  let data = url;
  for (const key of Object.keys(params).sort()) {
    const value = params[key]!;
    // Twilio's own helper deduplicates and sorts repeated values before signing.
    const values = typeof value === 'string' ? [value] : [...new Set(value)].sort();
    for (const v of values) data += key + v;
  }
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/**
 * Whether `signature` signs `url` and `params`. Twilio signs the URL as it dialled it, which may
 * or may not carry the default port, so both forms are accepted (as Twilio's helper does).
 */
export function isValidTwilioSignature(
  authToken: string,
  signature: string | undefined,
  url: string,
  params: SignedParams = {},
): boolean {
  if (!signature || !authToken) return false;
  const given = Buffer.from(signature);
  return urlVariants(url).some((candidate) => {
    const expected = Buffer.from(twilioSignature(authToken, candidate, params));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

const DEFAULT_PORT: Record<string, string> = { 'https:': '443', 'wss:': '443', 'http:': '80', 'ws:': '80' };

/** The URL as given, without its default port, and with it. */
function urlVariants(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [url];
  }
  const port = DEFAULT_PORT[parsed.protocol];
  // Only a URL on its scheme's default port has two spellings.
  if (!port || parsed.port !== '') return [url, parsed.href];
  const withPort = `${parsed.protocol}//${parsed.username ? `${parsed.username}:${parsed.password}@` : ''}${parsed.hostname}:${port}${parsed.pathname}${parsed.search}`;
  // `URL` drops a default port, so `href` is the form without it.
  return [...new Set([url, parsed.href, withPort])];
}

/**
 * The token the voice webhook puts in the TwiML for a call's stream: the stream's upgrade
 * signature covers only the fixed stream URL, so `start` must carry proof that this gateway's
 * webhook answered this very call (any instance sharing the auth token can check it).
 */
export function streamToken(authToken: string, callSid: string): string {
  return createHmac('sha1', authToken).update(`stream:${callSid}`, 'utf8').digest('base64url');
}

/** Whether `token` is the stream token of `callSid`. */
export function isValidStreamToken(authToken: string, callSid: string, token: string | undefined): boolean {
  if (!token) return false;
  const expected = Buffer.from(streamToken(authToken, callSid));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
