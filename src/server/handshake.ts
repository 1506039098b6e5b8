/**
 * The WebSocket upgrade at `/v1/realtime`: path, query, key, origin and dialect, decided before
 * any socket exists so a refusal is a real HTTP status with a JSON body.
 */
import type { IncomingMessage } from 'node:http';
import type { Dialect, ErrorCode } from '../../protocol/realtime/index.js';
import { isLoopback } from '../config.js';
import { KEY_SUBPROTOCOL_PREFIX, keyIdOf, offeredProtocols, presentedKey } from './auth.js';
import type { KeyChecker } from './auth.js';

/** The Realtime WebSocket path. */
export const REALTIME_PATH = '/v1/realtime';
/** The subprotocol a beta browser client adds. */
export const BETA_SUBPROTOCOL = 'openai-beta.realtime-v1';

/** An accepted upgrade. */
export interface AcceptedHandshake {
  ok: true;
  dialect: Dialect;
  kind: 'realtime' | 'transcription';
  /** The model the URL named, or null. */
  model: string | null;
  /** Identifies the presented key (a digest, never the key) for per-key session caps. */
  keyId: string;
}

/** A refused upgrade. */
export interface RefusedHandshake {
  ok: false;
  status: 400 | 401 | 403 | 404;
  code: ErrorCode;
  message: string;
}

/** Decides an upgrade request. */
export function checkHandshake(
  req: IncomingMessage,
  keys: KeyChecker,
  allowedOrigins: readonly string[],
): AcceptedHandshake | RefusedHandshake {
  const url = new URL(req.url ?? '/', 'http://gateway.invalid');
  if (url.pathname.replace(/\/+$/, '') !== REALTIME_PATH) {
    return {
      ok: false,
      status: 404,
      code: 'not_found',
      message: `No WebSocket endpoint at ${url.pathname}; use ${REALTIME_PATH}.`,
    };
  }
  const key = presentedKey(req, url);
  if (!keys.accepts(key)) {
    return {
      ok: false,
      status: 401,
      code: 'invalid_api_key',
      message:
        'Incorrect or missing API key. Send it as `Authorization: Bearer <key>`, the `openai-insecure-api-key.<key>` subprotocol, or an `api-key` header.',
    };
  }
  const origin = req.headers.origin;
  if (origin && !originAllowed(origin, allowedOrigins, keys.enforced)) {
    return {
      ok: false,
      status: 403,
      code: 'origin_not_allowed',
      message: `Origin ${origin} is not allowed: list it in GATEWAY_ALLOWED_ORIGINS.`,
    };
  }
  if (url.searchParams.has('call_id')) {
    return {
      ok: false,
      status: 400,
      code: 'invalid_handshake',
      message: 'call_id sessions (WebRTC/SIP sideband) are not offered by this gateway.',
    };
  }
  const intent = url.searchParams.get('intent');
  const model = url.searchParams.get('model');
  if (intent !== null && intent !== 'transcription') {
    return {
      ok: false,
      status: 400,
      code: 'invalid_handshake',
      message: `Unknown intent '${intent}'; the only intent is 'transcription'.`,
    };
  }
  if (intent !== null && model !== null) {
    return {
      ok: false,
      status: 400,
      code: 'invalid_handshake',
      message: 'Give either model or intent=transcription, not both.',
    };
  }
  const beta =
    /realtime=v1/.test(String(req.headers['openai-beta'] ?? '')) ||
    offeredProtocols(req).includes(BETA_SUBPROTOCOL);
  return {
    ok: true,
    dialect: beta ? 'beta' : 'ga',
    kind: intent ? 'transcription' : 'realtime',
    model: model || null,
    keyId: keyIdOf(key),
  };
}

/**
 * Browsers send `Origin`; other clients do not. A listed origin is allowed. With no list, a gateway
 * that checks keys allows any origin, but one that accepts any key allows only loopback pages:
 * WebSockets are not covered by CORS, so any web page could otherwise use the gateway.
 */
function originAllowed(origin: string, allowed: readonly string[], keysEnforced: boolean): boolean {
  if (allowed.length > 0) return allowed.includes(origin);
  if (keysEnforced) return true;
  try {
    return isLoopback(new URL(origin).hostname);
  } catch {
    // `null` (sandboxed frames, file: pages) and malformed origins.
    return false;
  }
}

/**
 * The subprotocol to answer with: `realtime` when offered (as OpenAI does), else the first offered
 * one that carries no key; `false` (no header) when the client offered none.
 */
export function selectProtocol(offered: ReadonlySet<string>): string | false {
  if (offered.size === 0) return false;
  if (offered.has('realtime')) return 'realtime';
  for (const p of offered) if (!p.startsWith(KEY_SUBPROTOCOL_PREFIX)) return p;
  return false;
}
