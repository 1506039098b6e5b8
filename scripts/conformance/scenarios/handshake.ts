/**
 * Error codes of a refused handshake: a real HTTP status with the OpenAI error envelope
 * `{"error":{message,type,param,code}}` (README "Endpoints").
 */
import { probe } from '../client.js';
import type { ConnectOptions, HttpAnswer } from '../client.js';
import { check } from '../runner.js';
import type { Scenario, ScenarioContext } from '../runner.js';

type E = Record<string, unknown>;

/** How long to wait for the error that follows an accepted upgrade with a wrong key. */
const ACCEPTED_KEY_WAIT_MS = 3_000;

/** Checks an HTTP refusal: status and envelope. */
function checkRefusal(
  ctx: ScenarioContext,
  got: HttpAnswer,
  status: number,
  code: string,
  type = 'invalid_request_error',
): void {
  check(got.status === status, `HTTP ${got.status}, expected ${status}`);
  let body: E = {};
  try {
    body = JSON.parse(got.body) as E;
  } catch {
    check(false, `the ${status} body is not JSON: ${got.body.slice(0, 80)}`);
  }
  const error = body.error as E | undefined;
  check(error && error.code === code, `envelope code ${JSON.stringify(error?.code)}, expected ${code}`);
  check(
    error.type === type && typeof error.message === 'string' && 'param' in error,
    'the envelope lacks type, message or param',
  );
}

const upgrade = (
  ctx: ScenarioContext,
  opts: ConnectOptions & { path?: string; query?: Record<string, string> } = {},
) => probe(ctx.options.endpoint, { upgrade: true, ...opts });

export const HANDSHAKE_SCENARIOS: Scenario[] = [
  {
    name: 'error.invalid_api_key',
    description:
      'A wrong key: HTTP 401 with invalid_api_key, or (as OpenAI does) an accepted upgrade and an invalid_api_key error.',
    scope: 'any',
    run: async (ctx) => {
      const opts = { key: 'kit-invalid-key-0000' };
      const got = await upgrade(ctx, opts);
      if (got.status !== 101) return checkRefusal(ctx, got, 401, 'invalid_api_key', 'authentication_error');
      const c = await ctx.connect(opts);
      const error = await c.next('error', () => true, 0, ACCEPTED_KEY_WAIT_MS).catch(() => null);
      check(
        error && (error.error as E).code === 'invalid_api_key',
        'the server accepted an invalid key (a server that checks no keys cannot pass: run it with keys, or --skip error.invalid_api_key)',
      );
    },
  },
  {
    name: 'error.origin_not_allowed',
    description: 'A browser Origin the server does not allow: HTTP 403 origin_not_allowed.',
    scope: 'gateway',
    run: async (ctx) => {
      const got = await upgrade(ctx, { headers: { origin: 'https://kit-not-allowed.example' } });
      checkRefusal(ctx, got, 403, 'origin_not_allowed');
    },
  },
  {
    name: 'error.not_found',
    description: 'A path other than the Realtime endpoint: HTTP 404 not_found.',
    scope: 'gateway',
    run: async (ctx) => checkRefusal(ctx, await upgrade(ctx, { path: '/v1/not-realtime' }), 404, 'not_found'),
  },
  {
    name: 'error.invalid_handshake.plain-get',
    description: 'A GET without Upgrade on the Realtime path: HTTP 400 invalid_handshake.',
    scope: 'gateway',
    run: async (ctx) =>
      checkRefusal(ctx, await probe(ctx.options.endpoint, { upgrade: false }), 400, 'invalid_handshake'),
  },
  {
    name: 'error.invalid_handshake.call-id',
    description:
      'call_id (a WebRTC/SIP sideband channel) over a WebSocket upgrade: HTTP 400 invalid_handshake.',
    scope: 'gateway',
    run: async (ctx) =>
      checkRefusal(ctx, await upgrade(ctx, { query: { call_id: 'rtc_kit' } }), 400, 'invalid_handshake'),
  },
];
