/**
 * A loopback emulator of Cartesia's TTS WebSocket (`/tts/websocket`), close enough that the real
 * `@cartesia/cartesia-js` SDK cannot tell, speaking real offline speech (espeak-ng).
 *
 * It serves plain WS: the SDK forces `wss://`, so clients pass a `createConnection` that opens
 * plain TCP (the Cartesia adapter does so for any `http://` or `ws://` base URL).
 *
 * Faults: the slot is consulted once per connection, at the handshake, and the fault applies to
 * that connection: `refuse_handshake` answers the upgrade with its status; `stall_after_headers`
 * accepts and then never answers; `close_mid_stream` closes the socket `afterMs` after its first
 * generation request; `error_message` answers every context with an in-band `error` message.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { warmUpEspeak } from '../speech/espeak.js';
import { FaultSlot, createEmulatorServer } from '../types.js';
import type { EmulatorTls, Fault, RunningEmulator } from '../types.js';
import { ContextError, DEFAULT_CARTESIA_LATENCY, EmulatedContext } from './context.js';
import type { CartesiaLatencyProfile, ContextHost } from './context.js';
import type { CartesiaServerMessage, GenerationRequest } from './protocol.js';
import { cancelRequestSchema, errorMessage, fixedFieldsOf, generationRequestSchema } from './protocol.js';

/** The WebSocket path. */
export const CARTESIA_TTS_PATH = '/tts/websocket';
/** Largest client message: a generation request with a long transcript fits in well under this. */
const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Open contexts one connection may hold; more is a client bug (contexts never ended). */
const MAX_CONTEXTS_PER_CONNECTION = 256;
/** Socket buffer above which chunks are dropped with the connection: a client that does not read. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** Options of the Cartesia emulator. */
export interface CartesiaEmulatorOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** Serve TLS (`wss:`) with this certificate; default plain. */
  tls?: EmulatorTls;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, the handshake must present this key (Bearer, `api_key`/`access_token` query, or `X-API-Key`). */
  apiKey?: string;
  /** Default DEFAULT_CARTESIA_LATENCY. */
  latency?: Partial<CartesiaLatencyProfile>;
  /** Load espeak-ng at start so the first request does not pay for it (default true). */
  warmUp?: boolean;
}

/** Starts the emulator on loopback. Its `baseUrl` is what the Cartesia SDK takes as `baseURL`. */
export async function startCartesiaEmulator(opts: CartesiaEmulatorOptions = {}): Promise<RunningEmulator> {
  const profile: CartesiaLatencyProfile = { ...DEFAULT_CARTESIA_LATENCY, ...opts.latency };
  if (!(profile.firstAudioMs >= 0 && profile.chunkMs > 0 && profile.realtimeFactor > 0))
    throw new RangeError('latency: firstAudioMs >= 0, chunkMs > 0 and realtimeFactor > 0 are required');
  const faults = new FaultSlot();
  const { server, scheme } = createEmulatorServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `Only the WebSocket at ${CARTESIA_TTS_PATH} is emulated.` }));
  }, opts.tls);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const refusal = checkHandshake(req, opts.apiKey);
    if (refusal) return refuse(socket, refusal.status, refusal.message);
    const fault = faults.take();
    if (fault?.kind === 'refuse_handshake')
      return refuse(socket, fault.status, 'Emulated handshake refusal.');
    wss.handleUpgrade(req, socket, head, (ws) => serveConnection(ws, profile, fault));
  });

  if (opts.warmUp ?? true) void warmUpEspeak();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    name: 'cartesia',
    baseUrl: `${scheme}://${host}:${port}`,
    port,
    setFault: (fault, times) => faults.setFault(fault, times),
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function checkHandshake(
  req: IncomingMessage,
  expectedKey: string | undefined,
): { status: number; message: string } | null {
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  if (url.pathname.replace(/\/+$/, '') !== CARTESIA_TTS_PATH)
    return { status: 404, message: `No WebSocket endpoint at ${url.pathname}.` };
  // Cartesia: a query parameter wins over a header when both are present.
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const xApiKey = req.headers['x-api-key'];
  const key =
    url.searchParams.get('api_key') ??
    url.searchParams.get('access_token') ??
    bearer ??
    (typeof xApiKey === 'string' ? xApiKey : undefined);
  if (!key || (expectedKey !== undefined && key !== expectedKey))
    return { status: 401, message: 'Invalid API key or access token.' };
  const version =
    url.searchParams.get('cartesia_version') ??
    url.searchParams.get('cartesia-version') ??
    req.headers['cartesia-version'];
  if (!version) return { status: 400, message: 'Missing the cartesia-version header or query parameter.' };
  return null;
}

function refuse(socket: Socket, status: number, message: string): void {
  const body = JSON.stringify({ error: message, status_code: status });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function serveConnection(ws: WebSocket, profile: CartesiaLatencyProfile, fault: Fault | null): void {
  const contexts = new Map<string, EmulatedContext>();
  let closeTimer: NodeJS.Timeout | undefined;
  const send = (msg: CartesiaServerMessage) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) return ws.terminate();
    ws.send(JSON.stringify(msg));
  };
  const sendError = (contextId: string | undefined, err: ContextError) =>
    send(errorMessage(contextId, err.status, err.errorCode, err.title, err.message, randomUUID()));
  const host: ContextHost = {
    send,
    release: (id) => contexts.delete(id),
    fail: (id, err) => {
      contexts.get(id)?.cancel();
      contexts.delete(id);
      sendError(
        id,
        err instanceof ContextError
          ? err
          : new ContextError(500, 'internal_error', 'Internal error', 'The emulated synthesis failed.'),
      );
    },
  };

  ws.on('close', () => {
    clearTimeout(closeTimer);
    for (const c of contexts.values()) c.cancel();
    contexts.clear();
  });
  if (fault?.kind === 'stall_after_headers') return;

  ws.on('message', (data, isBinary) => {
    let json: unknown;
    try {
      json = isBinary ? undefined : JSON.parse(String(data));
    } catch {
      json = undefined;
    }
    const contextId =
      typeof (json as { context_id?: unknown })?.context_id === 'string'
        ? (json as { context_id: string }).context_id
        : undefined;
    const cancel = cancelRequestSchema.safeParse(json);
    if (cancel.success) {
      contexts.get(cancel.data.context_id)?.cancel();
      contexts.delete(cancel.data.context_id);
      return;
    }
    const parsed = generationRequestSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.join('.') || 'message';
      return sendError(
        contextId,
        new ContextError(
          400,
          'invalid_request',
          'Invalid request',
          `Invalid ${where}: ${issue?.message ?? 'malformed'}.`,
        ),
      );
    }
    if (fault?.kind === 'close_mid_stream' && closeTimer === undefined)
      closeTimer = setTimeout(
        () => ws.close(fault.code ?? 1011, fault.reason ?? 'emulated fault'),
        fault.afterMs,
      );
    if (fault?.kind === 'error_message')
      return sendError(
        contextId,
        new ContextError(
          500,
          'internal_error',
          'Internal error',
          fault.message ?? 'Emulated provider error.',
        ),
      );
    let context: EmulatedContext;
    try {
      context = contextFor(parsed.data);
    } catch (err) {
      // A bad input to an existing context is refused; the context itself goes on.
      return sendError(parsed.data.context_id, err as ContextError);
    }
    try {
      context.accept(parsed.data);
    } catch (err) {
      host.fail(parsed.data.context_id, err);
    }
  });

  function contextFor(req: GenerationRequest): EmulatedContext {
    const existing = contexts.get(req.context_id);
    if (existing) {
      if (existing.isEnded)
        throw new ContextError(
          400,
          'context_closed',
          'Context closed',
          'The context has already received continue: false.',
        );
      if (fixedFieldsOf(existing.firstRequest) !== fixedFieldsOf(req))
        throw new ContextError(
          400,
          'invalid_request',
          'Invalid request',
          'model_id, voice, output_format and language must not change within a context.',
        );
      return existing;
    }
    if (contexts.size >= MAX_CONTEXTS_PER_CONNECTION)
      throw new ContextError(
        429,
        'too_many_contexts',
        'Too many contexts',
        `At most ${MAX_CONTEXTS_PER_CONNECTION} contexts may be open on one connection.`,
      );
    const created = new EmulatedContext(req.context_id, req, profile, host);
    contexts.set(req.context_id, created);
    return created;
  }
}
