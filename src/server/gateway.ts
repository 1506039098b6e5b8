/**
 * The listener: HTTP or HTTPS, the Realtime upgrade, `/healthz`, `/readyz`, `/metrics`, session
 * caps, graceful drain and an orderly close. Sessions are created here and wired to their
 * sockets; everything else lives in `session/`.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { errorBody } from '../../protocol/realtime/index.js';
import type { ServerEvent } from '../../protocol/realtime/index.js';
import type { GatewayConfig } from '../config.js';
import type { Stages } from '../providers/types.js';
import type { ClientTransport } from '../session/event-writer.js';
import { RealtimeSession } from '../session/realtime-session.js';
import type { TurnLatency } from '../session/realtime-session.js';
import type { LanguagePolicy } from '../session/response-request.js';
import { TwilioEndpoints } from '../telephony/twilio-server.js';
import { newId } from '../util/ids.js';
import type { Logger } from '../util/log.js';
import { SessionAdmission } from './admission.js';
import { EventLoopLoad } from './load-guard.js';
import type { LoopSampler } from './load-guard.js';
import type { Admission } from './admission.js';
import { KeyChecker } from './auth.js';
import { CLOSE_GOING_AWAY, CLOSE_GRACE_MS, drainSessions } from './drain.js';
import { REALTIME_PATH, checkHandshake, selectProtocol } from './handshake.js';
import { refuseUpgrade, sendError, sendJson } from './http-replies.js';
import { GatewayMetrics } from './metrics.js';
import { handleOpsRequest } from './ops-endpoints.js';
import { logContent } from './content-log.js';
import { TickCork, corkFlushBytesFor } from './tick-cork.js';

/** Close code for a session refused at a cap or by the load guard: try again later (RFC 6455 registry). */
const CLOSE_TRY_AGAIN_LATER = 1013;
/** `Retry-After` of a refusal while draining: a load balancer has moved on by then. */
const DRAIN_RETRY_AFTER_S = 5;

/** What the gateway is built from. */
export interface GatewayDeps {
  config: GatewayConfig;
  /** Stages for one new session. */
  stages: (sessionId: string) => Stages;
  log: Logger;
  /** Maps a voice name, and the language it will speak, to the TTS voice id. */
  resolveVoice?: (voice: string, language: string | undefined) => string;
  /** Sees every server event of every session (tests, metrics). */
  observer?: (sessionId: string, event: ServerEvent) => void;
  /** Told where the time went in each server-VAD turn (benchmarks, metrics). */
  onTurnLatency?: (sessionId: string, latency: TurnLatency) => void;
  /** The metrics registry (main shares it with the provider stages); a fresh one if absent. */
  metrics?: GatewayMetrics;
  /** Reads the event loop's busy and idle time for the load guard (tests); the process's own if absent. */
  loadSampler?: LoopSampler;
}

/** A running gateway. */
export interface Gateway {
  /** Starts listening; resolves with the bound port. */
  listen(): Promise<{ port: number; url: string }>;
  /** Closes every session with 1001 and stops listening. */
  close(): Promise<void>;
  /**
   * Refuses new sessions (HTTP 503, `/readyz` 503), lets running responses finish for up to
   * `deadlineMs`, closing each session with 1001 once it is idle; resolves when all are closed.
   * The listener stays up (for `/metrics` and `/healthz`) until `close()`.
   */
  drain(deadlineMs: number): Promise<void>;
  /** Open sessions. */
  readonly sessionCount: number;
  /** The metrics registry. */
  readonly metrics: GatewayMetrics;
  /** Phone calls with a session open (prepared by the webhook or streaming). */
  readonly callCount: number;
}

/** Builds a gateway; nothing listens until `listen()`. */
export function createGateway(deps: GatewayDeps): Gateway {
  const { config, log } = deps;
  const keys = new KeyChecker(config.apiKeys);
  const sessions = new Map<WebSocket, RealtimeSession>();
  const metrics = deps.metrics ?? new GatewayMetrics();
  // The guard counts the sessions admission holds (Realtime and phone), to project a ramp's load.
  // It first asks once it samples, from listen(), after `admission` below exists.
  const load = new EventLoopLoad(
    config.maxEventLoopUtilization,
    deps.loadSampler,
    (): number => admission.sessions,
  );
  metrics.watchLoad(load);
  const admission = new SessionAdmission(config.maxSessions, config.maxSessionsPerKey, load);
  const wss = new WebSocketServer({
    noServer: true,
    // Frames up to twice the limit are read and answered with message_too_large; past that, ws
    // closes with 1009 rather than buffer an unbounded frame.
    maxPayload: config.limits.maxMessageBytes * 2,
    handleProtocols: (offered) => selectProtocol(offered),
  });

  const server: Server = config.tls
    ? createHttpsServer(
        { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) },
        onRequest,
      )
    : createHttpServer(onRequest);

  /** A session on `transport`; the Realtime socket and a phone call differ only in these settings. */
  const openSession = (
    transport: ClientTransport,
    o: {
      dialect: 'ga' | 'beta';
      kind: 'realtime' | 'transcription';
      model: string | null;
      languagePolicy?: LanguagePolicy;
    },
  ): RealtimeSession => {
    const sessionId = newId('sess');
    return new RealtimeSession({
      transport,
      dialect: o.dialect,
      kind: o.kind,
      stages: deps.stages(sessionId),
      limits: config.limits,
      defaults: {
        id: sessionId,
        model: o.model ?? config.defaultModel,
        expiresAt: Math.floor((Date.now() + config.limits.maxSessionDurationMs) / 1000),
        instructions: config.defaultInstructions,
        voice: config.defaultVoice,
        turnDetection: 'server_vad',
      },
      modelOpen: o.model === null,
      resolveVoice: deps.resolveVoice ?? ((v) => v),
      log: (level, msg, fields) => log[level](msg, fields),
      logContent: config.logContent,
      observer: (e) => {
        metrics.observe(sessionId, e);
        if (config.logContent) logContent(log, sessionId, e);
        deps.observer?.(sessionId, e);
      },
      onBargeIn: (ms) => metrics.bargeIn(ms),
      onTurnLatency: (l) => {
        metrics.turnLatency(l);
        deps.onTurnLatency?.(sessionId, l);
      },
      onBackpressure: (action) => metrics.outboundBackpressure(action),
      onContextCut: () => metrics.contextCut(),
      speculativeTurnStart: config.speculativeTurnStart,
      languagePolicy: o.languagePolicy,
    });
  };
  const twilio = new TwilioEndpoints({
    config: config.telephony,
    tls: config.tls !== null,
    log,
    // A call is its session's only client: GA, and the agent's model, not the caller's choice.
    openSession: (transport, languagePolicy) => {
      metrics.sessionOpened('twilio');
      return openSession(transport, {
        dialect: 'ga',
        kind: 'realtime',
        model: config.telephony.agent.session.model ?? config.defaultModel,
        languagePolicy,
      });
    },
    // Calls count against MAX_SESSIONS; each is its own key, so MAX_SESSIONS_PER_KEY (meant for
    // API clients) never limits how many people can phone in.
    admit: (callSid) => {
      const slot = admission.admit(`twilio:${callSid}`);
      if (!slot.ok) metrics.sessionRefused(slot.reason);
      return slot;
    },
    onCallEnded: () => metrics.sessionClosed('twilio'),
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = new URL(req.url ?? '/', 'http://gateway.invalid').pathname;
    if (TwilioEndpoints.owns(path)) return twilio.handleUpgrade(req, socket, head);
    const decision = checkHandshake(req, keys, config.allowedOrigins);
    if (!decision.ok) {
      log.info('handshake refused', { status: decision.status, code: decision.code });
      refuseUpgrade(socket, decision.status, decision.code, decision.message);
      return;
    }
    const admitted = admission.admit(decision.keyId);
    if (!admitted.ok && admitted.reason === 'draining') {
      metrics.sessionRefused('draining');
      refuseUpgrade(socket, 503, 'server_draining', admitted.message, {
        'Retry-After': String(DRAIN_RETRY_AFTER_S),
      });
      return;
    }
    // ws may refuse the upgrade itself (bad version or key, a socket already gone) and never call
    // back: the slot goes back when the socket closes, whoever closes it (release is idempotent).
    if (admitted.ok) socket.once('close', admitted.release);
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (!admitted.ok) return refuseSession(ws, admitted);
      const session = openSession(
        socketTransport(ws, new TickCork(socket, corkFlushBytesFor(config.limits))),
        {
          dialect: decision.dialect,
          kind: decision.kind,
          model: decision.model,
        },
      );
      sessions.set(ws, session);
      metrics.sessionOpened('websocket');
      log.info('session opened', { sessionId: session.id, dialect: decision.dialect, kind: decision.kind });
      ws.on('message', (data: Buffer, isBinary) => {
        if (data.byteLength > config.limits.maxMessageBytes) session.receiveTooLarge(data.byteLength);
        else session.receive(isBinary ? '' : data.toString(), isBinary);
      });
      ws.on('error', (err) => log.warn('socket error', { sessionId: session.id, error: err.message }));
      ws.on('close', (code) => {
        session.close();
        sessions.delete(ws);
        admitted.release();
        metrics.sessionClosed('websocket');
        log.info('session closed', { sessionId: session.id, code });
      });
      session.start();
    });
  });

  /**
   * Over a cap, or refused by the load guard: the upgrade succeeds so the client can read why
   * (browsers cannot read a refused upgrade's status), then the socket closes. Under load this
   * costs an upgrade more than a 503 would; a load balancer that reads `/readyz` sends none.
   */
  function refuseSession(ws: WebSocket, refusal: Extract<Admission, { ok: false }>): void {
    metrics.sessionRefused(refusal.reason);
    log.info('session refused', { reason: refusal.reason });
    const error = errorBody('session_limit_reached', { message: refusal.message });
    ws.send(JSON.stringify({ type: 'error', event_id: newId('event'), error }));
    ws.close(CLOSE_TRY_AGAIN_LATER, 'session limit reached');
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://gateway.invalid').pathname;
    if (req.method === 'GET' && path === '/healthz')
      return sendJson(res, 200, { status: 'ok', sessions: sessions.size, calls: twilio.callCount });
    if (TwilioEndpoints.owns(path)) return twilio.handleRequest(req, res, path);
    const ops = { admission, metrics, metricsAccess: config.metrics, keys };
    if (handleOpsRequest(req, res, path, ops)) return;
    if (path.replace(/\/+$/, '') === REALTIME_PATH) {
      return sendError(
        res,
        400,
        'invalid_handshake',
        `${REALTIME_PATH} is a WebSocket endpoint: connect with an Upgrade: websocket request.`,
      );
    }
    sendError(res, 404, 'not_found', `No route for ${req.method ?? 'GET'} ${path}.`);
  }

  return {
    get sessionCount() {
      return sessions.size;
    },
    metrics,
    drain: async (deadlineMs) => {
      admission.startDraining();
      log.info('draining', { sessions: sessions.size, deadlineMs });
      await Promise.all([drainSessions(sessions, deadlineMs), twilio.drain(deadlineMs)]);
    },
    get callCount() {
      return twilio.callCount;
    },
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          load.start();
          const { port } = server.address() as AddressInfo;
          const scheme = config.tls ? 'wss' : 'ws';
          const host = config.host.includes(':') ? `[${config.host}]` : config.host;
          resolve({ port, url: `${scheme}://${host}:${port}${REALTIME_PATH}` });
        });
      }),
    close: async () => {
      admission.startDraining();
      load.stop();
      const calls = twilio.close();
      for (const [ws, session] of sessions) {
        session.close();
        ws.close(CLOSE_GOING_AWAY, 'server shutting down');
      }
      const deadline = setTimeout(() => {
        for (const ws of sessions.keys()) ws.terminate();
      }, CLOSE_GRACE_MS);
      deadline.unref();
      await calls;
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      clearTimeout(deadline);
    },
  };
}

/**
 * A session's view of its socket. When the session closes it (expiry, a reader past the hard
 * outbound limit), a peer that never answers the close is cut after the grace period instead of
 * ws's 30 s, so its slot and memory come back promptly.
 */
function socketTransport(ws: WebSocket, cork: TickCork): ClientTransport {
  return {
    send: (text) => {
      cork.hold();
      ws.send(text);
    },
    close: (code, reason) => {
      ws.close(code, reason);
      setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
  };
}
