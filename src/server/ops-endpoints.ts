/**
 * `GET /readyz` (may a load balancer send new sessions here) and `GET /metrics` (Prometheus).
 * `/healthz` stays in the gateway: it is liveness only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayConfig } from '../config.js';
import type { SessionAdmission } from './admission.js';
import { presentedKey } from './auth.js';
import type { KeyChecker } from './auth.js';
import { sendError, sendJson } from './http-replies.js';
import type { GatewayMetrics } from './metrics.js';

/** What the endpoints read. */
export interface OpsContext {
  admission: SessionAdmission;
  metrics: GatewayMetrics;
  metricsAccess: GatewayConfig['metrics'];
  keys: KeyChecker;
}

/** Answers `/readyz` and `/metrics`; false for any other request. */
export function handleOpsRequest(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  ctx: OpsContext,
): boolean {
  if (req.method !== 'GET') return false;
  if (path === '/readyz') {
    const r = ctx.admission.readiness();
    sendJson(res, r.ready ? 200 : 503, {
      status: r.status,
      sessions: r.sessions,
      maxSessions: r.maxSessions,
      eventLoopUtilization: r.eventLoopUtilization,
      projectedEventLoopUtilization: r.projectedEventLoopUtilization,
    });
    return true;
  }
  if (path !== '/metrics' || ctx.metricsAccess === 'off') return false;
  // With `auto`, metrics need a gateway key whenever keys are configured: the listener is then
  // reachable from the network, and session counts and provider failures are not for everyone.
  if (
    ctx.metricsAccess === 'auto' &&
    !ctx.keys.accepts(presentedKey(req, new URL(req.url ?? '/', 'http://x')))
  ) {
    sendError(
      res,
      401,
      'invalid_api_key',
      'GET /metrics needs a gateway key: `Authorization: Bearer <key>`.',
    );
    return true;
  }
  void ctx.metrics.render().then(
    ({ contentType, body }) => {
      res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
    () => sendError(res, 500, 'server_error', 'The metrics could not be collected.'),
  );
  return true;
}
