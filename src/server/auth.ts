/**
 * Client keys: where clients put them (shared/realtime-protocol.md 1.2) and a constant-time check
 * against the configured keys.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The subprotocol prefix browsers use to carry a key. */
export const KEY_SUBPROTOCOL_PREFIX = 'openai-insecure-api-key.';

/** The subprotocols a client offered, in order. */
export function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  if (!header) return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/** The key a client presented, from any of the places clients put it, or null. */
export function presentedKey(req: IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization;
  if (auth && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim() || null;
  const fromProtocol = offeredProtocols(req).find((p) => p.startsWith(KEY_SUBPROTOCOL_PREFIX));
  if (fromProtocol) return fromProtocol.slice(KEY_SUBPROTOCOL_PREFIX.length) || null;
  const apiKey = req.headers['api-key'];
  if (typeof apiKey === 'string' && apiKey) return apiKey;
  // Older Azure-style clients put the key in the query string.
  return url.searchParams.get('api-key') || null;
}

/** Checks keys in constant time: both sides are hashed to equal length before comparing. */
export class KeyChecker {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  /** True when keys are configured. */
  get enforced(): boolean {
    return this.digests.length > 0;
  }

  /** Whether `key` is accepted (any key when none is configured). */
  accepts(key: string | null): boolean {
    if (!this.enforced) return true;
    if (key === null) return false;
    const d = digest(key);
    let ok = false;
    // Compare against every key so the time does not depend on which one matched.
    for (const known of this.digests) ok = timingSafeEqual(d, known) || ok;
    return ok;
  }
}

/**
 * A stable, non-reversible id of a presented key, for per-key session caps: the key itself is
 * never kept. Clients that present no key share one id.
 */
export function keyIdOf(key: string | null): string {
  return key === null ? 'anonymous' : digest(key).toString('hex').slice(0, 16);
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
