/**
 * The listener: HTTP or HTTPS, the Realtime upgrade, `/healthz`, and an orderly close. Sessions
 * are created here and wired to their sockets; everything else lives in `session/`.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { ERROR_CODES } from '../../protocol/realtime/index.js';
import type { ErrorCode, ServerEvent } from '../../protocol/realtime/index.js';
import type { GatewayConfig } from '../config.js';
import type { Stages } from '../providers/types.js';
import type { ClientTransport } from '../session/event-writer.js';
import { RealtimeSession } from '../session/realtime-session.js';
import type { LanguagePolicy, TurnLatency } from '../session/realtime-session.js';
import { TwilioEndpoints } from '../telephony/twilio-server.js';
import { newId } from '../util/ids.js';
import type { Logger } from '../util/log.js';
import { KeyChecker } from './auth.js';
import { REALTIME_PATH, checkHandshake, selectProtocol } from './handshake.js';

/** Close code sent to open sessions when the gateway shuts down (going away). */
const CLOSE_GOING_AWAY = 1001;
/** How long `close()` waits for sockets to finish their closing handshake. */
const CLOSE_GRACE_MS = 2_000;

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
}

/** A running gateway. */
export interface Gateway {
  /** Starts listening; resolves with the bound port. */
  listen(): Promise<{ port: number; url: string }>;
  /** Closes every session with 1001 and stops listening. */
  close(): Promise<void>;
  /** Open sessions. */
  readonly sessionCount: number;
  /** Phone calls with a session open (prepared by the webhook or streaming). */
  readonly callCount: number;
}

/** Builds a gateway; nothing listens until `listen()`. */
export function createGateway(deps: GatewayDeps): Gateway {
  const { config, log } = deps;
  const keys = new KeyChecker(config.apiKeys);
  const sessions = new Map<WebSocket, RealtimeSession>();
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
      observer: deps.observer && ((e) => deps.observer?.(sessionId, e)),
      onTurnLatency: deps.onTurnLatency && ((l) => deps.onTurnLatency?.(sessionId, l)),
      speculativeTurnStart: config.speculativeTurnStart,
      languagePolicy: o.languagePolicy,
    });
  };
  const twilio = new TwilioEndpoints({
    config: config.telephony,
    tls: config.tls !== null,
    log,
    // A call is its session's only client: GA, and the agent's model, not the caller's choice.
    openSession: (transport, languagePolicy) =>
      openSession(transport, { dialect: 'ga', kind: 'realtime', model: config.defaultModel, languagePolicy }),
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
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = openSession(ws, {
        dialect: decision.dialect,
        kind: decision.kind,
        model: decision.model,
      });
      sessions.set(ws, session);
      log.info('session opened', { sessionId: session.id, dialect: decision.dialect, kind: decision.kind });
      ws.on('message', (data: Buffer, isBinary) => {
        if (data.byteLength > config.limits.maxMessageBytes) session.receiveTooLarge(data.byteLength);
        else session.receive(isBinary ? '' : data.toString(), isBinary);
      });
      ws.on('error', (err) => log.warn('socket error', { sessionId: session.id, error: err.message }));
      ws.on('close', (code) => {
        session.close();
        sessions.delete(ws);
        log.info('session closed', { sessionId: session.id, code });
      });
      session.start();
    });
  });

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://gateway.invalid').pathname;
    if (req.method === 'GET' && path === '/healthz')
      return sendJson(res, 200, { status: 'ok', sessions: sessions.size, calls: twilio.callCount });
    if (TwilioEndpoints.owns(path)) return twilio.handleRequest(req, res, path);
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
    get callCount() {
      return twilio.callCount;
    },
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          const { port } = server.address() as AddressInfo;
          const scheme = config.tls ? 'wss' : 'ws';
          const host = config.host.includes(':') ? `[${config.host}]` : config.host;
          resolve({ port, url: `${scheme}://${host}:${port}${REALTIME_PATH}` });
        });
      }),
    close: async () => {
      twilio.close();
      for (const [ws, session] of sessions) {
        session.close();
        ws.close(CLOSE_GOING_AWAY, 'server shutting down');
      }
      const deadline = setTimeout(() => {
        for (const ws of sessions.keys()) ws.terminate();
      }, CLOSE_GRACE_MS);
      deadline.unref();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      clearTimeout(deadline);
    },
  };
}

function errorEnvelope(code: ErrorCode, message: string) {
  return { error: { message, type: ERROR_CODES[code].type, param: null, code } };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string): void {
  sendJson(res, status, errorEnvelope(code, message));
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
};

/** Answers a refused upgrade with a real HTTP response and the OpenAI error envelope. */
function refuseUpgrade(socket: Duplex, status: number, code: ErrorCode, message: string): void {
  const body = JSON.stringify(errorEnvelope(code, message));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
