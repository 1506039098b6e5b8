/**
 * A loopback emulator of Deepgram's speech-to-text API, close enough that `@deepgram/sdk` v5
 * cannot tell: the live WebSocket and the pre-recorded REST endpoint, both at `/v1/listen`.
 *
 * Faults: the slot is consulted once per WebSocket connection (at the handshake) or REST request.
 * WebSocket: `refuse_handshake` and `http_error` answer the upgrade with their status;
 * `stall_after_headers` accepts and then never answers; `close_mid_stream` closes with `code` and
 * `reason` (default 1011 `NET-0000`) `afterMs` after the connection's first audio; `error_message`
 * closes with 1008 `DATA-0000` (or the fault's message) at the first audio, as Deepgram does with
 * audio it cannot decode. REST: status faults answer with their status (429 with `retry-after`);
 * `stall_after_headers` sends the headers only; `close_mid_stream` drops the connection `afterMs`
 * after the headers; `error_message` answers 400 with Deepgram's error body.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import { FaultSlot, createEmulatorServer } from '../types.js';
import type { EmulatorTls, Fault, RunningEmulator } from '../types.js';
import { LiveStream } from './live-stream.js';
import { transcribeRecording } from './prerecorded.js';
import type { ListenParams } from './protocol.js';
import { errorBody, parseListenParams } from './protocol.js';
import { TranscriptScript } from './transcripts.js';

/** The path of both the live and the pre-recorded API. */
export const DEEPGRAM_LISTEN_PATH = '/v1/listen';
/** Deepgram closes a stream with `1011 NET-0001` after this long without audio or KeepAlive. */
export const DEEPGRAM_IDLE_TIMEOUT_MS = 10_000;
/** Largest WebSocket message: Deepgram advises chunks of 20-250 ms, far below this. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Largest pre-recorded body: about 70 minutes of 8 kHz PCM16, plenty for tests and offline use. */
const MAX_REST_BODY_BYTES = 64 * 1024 * 1024;
/** Close reasons are limited to 123 bytes by RFC 6455. */
const MAX_CLOSE_REASON_CHARS = 120;

/** The emulator's timing. */
export interface DeepgramLatencyProfile {
  /** Delay from the end of an utterance (or a Finalize) to its final Result. */
  sttFinalMs: number;
}

/** The figures of the stack being replaced: the final 150 ms after the end of speech. */
export const DEFAULT_DEEPGRAM_LATENCY: DeepgramLatencyProfile = { sttFinalMs: 150 };

/** Options of the Deepgram emulator. */
export interface DeepgramEmulatorOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** Serve TLS (`https:` base URL, `wss:` stream) with this certificate; default plain. */
  tls?: EmulatorTls;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, requests must present this key (`Token`, `Bearer`, or the `token, <KEY>` subprotocol). */
  apiKey?: string;
  /** One transcript per utterance, in order, shared by all connections; past its end, placeholders. */
  script?: readonly string[];
  /** Default DEFAULT_DEEPGRAM_LATENCY. */
  latency?: Partial<DeepgramLatencyProfile>;
  /** Default DEEPGRAM_IDLE_TIMEOUT_MS (Deepgram's NET-0001 window). */
  idleTimeoutMs?: number;
}

/** A running Deepgram emulator. */
export interface DeepgramEmulator extends RunningEmulator {
  /** WebSocket connections accepted so far (tests count reconnects with it). */
  readonly connections: number;
  /** WebSocket connections open now. */
  readonly openConnections: number;
}

/** Starts the emulator on loopback. Its `baseUrl` is what `DeepgramClient` takes as `baseUrl`. */
export async function startDeepgramEmulator(opts: DeepgramEmulatorOptions = {}): Promise<DeepgramEmulator> {
  const latency: DeepgramLatencyProfile = { ...DEFAULT_DEEPGRAM_LATENCY, ...opts.latency };
  const idleTimeoutMs = opts.idleTimeoutMs ?? DEEPGRAM_IDLE_TIMEOUT_MS;
  if (!(latency.sttFinalMs >= 0 && idleTimeoutMs > 0))
    throw new RangeError('latency.sttFinalMs must be >= 0 and idleTimeoutMs > 0');
  const script = new TranscriptScript(opts.script);
  const faults = new FaultSlot();
  const sockets = new Set<Socket>();
  let connections = 0;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    // Browsers authenticate with the `token, <KEY>` subprotocol; the server must echo `token`.
    handleProtocols: (protocols) => (protocols.has('token') ? 'token' : false),
  });

  const { server, scheme } = createEmulatorServer((req, res) => {
    void serveRest(req, res, opts.apiKey, faults, script).catch(() => res.destroy());
  }, opts.tls);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (url.pathname !== DEEPGRAM_LISTEN_PATH)
      return refuse(socket, 404, errorBody('NOT_FOUND', `Only ${DEEPGRAM_LISTEN_PATH} is emulated.`));
    if (!authorized(req, opts.apiKey))
      return refuse(socket, 401, errorBody('INVALID_AUTH', 'Invalid credentials.'));
    const parsed = parseListenParams(url.searchParams);
    if (!parsed.ok) return refuse(socket, 400, errorBody('Bad Request', parsed.message));
    const fault = faults.take();
    if (fault?.kind === 'refuse_handshake' || fault?.kind === 'http_error')
      return refuse(socket, fault.status, errorBody('EMULATED_FAULT', 'Emulated handshake refusal.'));
    wss.handleUpgrade(req, socket, head, (ws) => {
      connections++;
      if (fault?.kind === 'stall_after_headers') return;
      serveLive(ws, parsed.params, fault, { script, finalDelayMs: latency.sttFinalMs, idleTimeoutMs });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    name: 'deepgram',
    baseUrl: `${scheme}://${address}:${port}`,
    port,
    get connections() {
      return connections;
    },
    get openConnections() {
      return wss.clients.size;
    },
    setFault: (fault, times) => faults.setFault(fault, times),
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      for (const s of sockets) s.destroy();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The key a request presents: `Authorization: Token|Bearer <key>`, or the `token, <KEY>` subprotocol. */
function presentedKey(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  const m = auth ? /^(?:Token|Bearer)\s+(.+)$/i.exec(auth.trim()) : null;
  if (m?.[1]) return m[1];
  const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  return protocols[0] === 'token' && protocols[1] ? protocols[1] : null;
}

function authorized(req: IncomingMessage, expected: string | undefined): boolean {
  return expected === undefined || presentedKey(req) === expected;
}

function refuse(socket: Socket, status: number, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

interface LiveContext {
  script: TranscriptScript;
  finalDelayMs: number;
  idleTimeoutMs: number;
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

function serveLive(ws: WebSocket, params: ListenParams, fault: Fault | null, ctx: LiveContext): void {
  const stream = new LiveStream(params, ctx.script, ctx.finalDelayMs, randomUUID(), {
    send: (message) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    },
    close: (code, reason) => closeWith(code, reason),
  });
  let idleTimer = setTimeout(() => closeWith(1011, 'NET-0001'), ctx.idleTimeoutMs);
  let faultTimer: NodeJS.Timeout | null = null;
  let heardAudio = false;

  function closeWith(code: number, reason: string): void {
    stream.dispose();
    if (ws.readyState === ws.OPEN) ws.close(code, reason.slice(0, MAX_CLOSE_REASON_CHARS));
  }
  function stillAlive(): void {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => closeWith(1011, 'NET-0001'), ctx.idleTimeoutMs);
  }
  function firstAudio(): void {
    if (fault?.kind === 'close_mid_stream')
      faultTimer = setTimeout(
        () => closeWith(fault.code ?? 1011, fault.reason ?? 'NET-0000'),
        Math.max(0, fault.afterMs),
      );
    if (fault?.kind === 'error_message') closeWith(1008, fault.message ?? 'DATA-0000');
  }

  ws.on('message', (data, isBinary) => {
    const bytes = toBytes(data);
    if (isBinary) {
      // Deepgram warns that an empty binary frame is not audio; it is never counted as such here.
      if (bytes.byteLength === 0) return;
      stillAlive();
      if (!heardAudio) {
        heardAudio = true;
        firstAudio();
      }
      stream.audio(bytes);
      return;
    }
    let type: unknown;
    try {
      type = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { type?: unknown }).type;
    } catch {
      return;
    }
    if (type === 'KeepAlive') stillAlive();
    else if (type === 'Finalize') stream.finalize();
    else if (type === 'CloseStream') stream.closeStream();
  });
  ws.on('close', () => {
    clearTimeout(idleTimer);
    if (faultTimer) clearTimeout(faultTimer);
    stream.dispose();
  });
  ws.on('error', () => ws.terminate());
}

async function readBody(req: IncomingMessage): Promise<Uint8Array | null> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.byteLength;
    if (size > MAX_REST_BODY_BYTES) return null;
    parts.push(part);
  }
  return Buffer.concat(parts);
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

async function serveRest(
  req: IncomingMessage,
  res: ServerResponse,
  apiKey: string | undefined,
  faults: FaultSlot,
  script: TranscriptScript,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  if (url.pathname !== DEEPGRAM_LISTEN_PATH || req.method !== 'POST')
    return sendJson(res, 404, errorBody('NOT_FOUND', `Only POST ${DEEPGRAM_LISTEN_PATH} is emulated.`));
  if (!authorized(req, apiKey)) return sendJson(res, 401, errorBody('INVALID_AUTH', 'Invalid credentials.'));
  const fault = faults.take();
  if (fault?.kind === 'refuse_handshake' || fault?.kind === 'http_error') {
    const retry = fault.kind === 'http_error' && fault.retryAfterSeconds !== undefined;
    const headers: Record<string, string> = retry ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
    return sendJson(res, fault.status, errorBody('EMULATED_FAULT', 'Emulated HTTP error.'), headers);
  }
  if (fault?.kind === 'error_message')
    return sendJson(
      res,
      400,
      errorBody('Bad Request', fault.message ?? 'DATA-0000: the audio could not be decoded.'),
    );
  if (fault?.kind === 'stall_after_headers' || fault?.kind === 'close_mid_stream') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    if (fault.kind === 'close_mid_stream') setTimeout(() => res.destroy(), Math.max(0, fault.afterMs));
    return;
  }
  if ((req.headers['content-type'] ?? '').startsWith('application/json'))
    return sendJson(
      res,
      400,
      errorBody('Bad Request', 'The emulator cannot fetch URL sources: send the audio bytes.'),
    );
  const body = await readBody(req);
  if (!body)
    return sendJson(res, 413, errorBody('PAYLOAD_TOO_LARGE', 'The body is too large for the emulator.'));
  const answer = transcribeRecording(body, url.searchParams, script);
  sendJson(res, answer.status, JSON.stringify(answer.body));
}
