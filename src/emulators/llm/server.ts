/**
 * The HTTP side shared by the three LLM emulators: a loopback server, body reading with a limit,
 * key checks, fault injection, and an SSE writer paced by the latency profile. Each provider
 * supplies a `Dialect`: its routes, error shapes and stream frames.
 */
import { setMaxListeners } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sleep } from '../../util/abort.js';
import type { LlmRequest } from '../../providers/types.js';
import { FaultSlot, createEmulatorServer } from '../types.js';
import type { EmulatorTls, Fault, RunningEmulator } from '../types.js';
import { offlineReply } from './offline-reply.js';
import type { OfflineReply } from './offline-reply.js';
import { BadRequestError } from './requests.js';
import type { ParsedRequest } from './requests.js';

/** When the emulated model speaks: tokens are words. */
export interface LlmLatencyProfile {
  /** From the request to the first token. */
  firstTokenMs: number;
  /** Pace of the tokens after the first. */
  tokensPerSecond: number;
}

/** The figures of the stack the gateway replaces (issue 3): first token at 220 ms, then 60 tokens/s. */
export const DEFAULT_LLM_LATENCY: LlmLatencyProfile = { firstTokenMs: 220, tokensPerSecond: 60 };

/** Options shared by the LLM emulators. */
export interface LlmEmulatorOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** The key requests must carry; unset: any key (offline mode). */
  apiKey?: string;
  latency?: Partial<LlmLatencyProfile>;
  /** Fragments a tool call's arguments are streamed in; 1 (default, Groq's habit) sends them whole. */
  toolArgumentChunks?: number;
  /** Serve TLS (`https:` base URL) with this certificate; default plain. */
  tls?: EmulatorTls;
}

/** A running LLM emulator, with what tests need to check the requests it got. */
export interface RunningLlmEmulator extends RunningEmulator {
  /** Chat requests received (faulted ones included). */
  readonly requestCount: number;
  /** The last chat request, read into the gateway's form. */
  readonly lastRequest: LlmRequest | null;
}

/** One frame of an SSE stream; `token` frames are paced by the latency profile. */
export interface Frame {
  sse: string;
  token?: boolean;
}

/** An HTTP error answer in the provider's shape. */
export interface ErrorAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** What makes one provider's emulator. */
export interface Dialect {
  readonly name: string;
  /** Path of the chat endpoint(s) and extra GET routes answered with a small JSON body. */
  readonly chatPaths: readonly string[];
  readonly getRoutes?: Readonly<Record<string, unknown>>;
  /** The key the request carries, or null. */
  keyOf(req: IncomingMessage): string | null;
  parse(body: unknown): ParsedRequest;
  /** An error answer; `retryAfterSeconds` only for 429. */
  error(status: number, message: string, retryAfterSeconds?: number): ErrorAnswer;
  /** Headers of a successful stream, beyond the SSE ones. */
  streamHeaders(): Record<string, string>;
  /** The stream's frames for `reply`. */
  frames(parsed: ParsedRequest, reply: OfflineReply, toolArgumentChunks: number): Frame[];
  /** The in-band error frame sent by the `error_message` fault. */
  inBandError(message: string): string;
}

/** Bodies above this are refused: a voice turn's context is far smaller. */
const MAX_REQUEST_BODY_BYTES = 4 * 1024 * 1024;
/** Retry-After of an injected 429 when the fault names none. */
const DEFAULT_RETRY_AFTER_SECONDS = 1;

/** Writes `data` as one SSE data event. */
export function sseData(data: unknown): string {
  return `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

/** Writes `data` as one named SSE event. */
export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Starts an emulator for `dialect` on loopback. */
export async function startLlmServer(
  dialect: Dialect,
  opts: LlmEmulatorOptions = {},
): Promise<RunningLlmEmulator> {
  const latency = { ...DEFAULT_LLM_LATENCY, ...opts.latency };
  if (!(latency.firstTokenMs >= 0) || !(latency.tokensPerSecond > 0)) {
    throw new Error(`${dialect.name} emulator: firstTokenMs must be >= 0 and tokensPerSecond > 0`);
  }
  const toolChunks = Math.max(1, Math.floor(opts.toolArgumentChunks ?? 1));
  const faults = new FaultSlot();
  const state = { requestCount: 0, lastRequest: null as LlmRequest | null };
  const closing = new AbortController();
  // One listener per open stream: many concurrent sessions are normal, not a leak.
  setMaxListeners(0, closing.signal);

  const { server, scheme } = createEmulatorServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  }, opts.tls);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && dialect.getRoutes && path in dialect.getRoutes) {
      req.resume();
      return sendJson(res, 200, dialect.getRoutes[path]);
    }
    if (req.method !== 'POST' || !dialect.chatPaths.includes(path)) {
      req.resume();
      return sendError(res, dialect.error(404, `Unknown request URL: ${req.method} ${path}`));
    }
    const body = await readBody(req);
    if (body === null) return sendError(res, dialect.error(413, 'Request body too large'));
    state.requestCount++;
    const fault = faults.take();
    if (
      fault?.kind === 'refuse_handshake' ||
      (opts.apiKey !== undefined && dialect.keyOf(req) !== opts.apiKey)
    ) {
      return sendError(res, dialect.error(401, 'Invalid API Key'));
    }
    if (fault?.kind === 'http_error') {
      const retry = fault.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
      return sendError(res, dialect.error(fault.status, messageFor(fault.status), retry));
    }
    let parsed: ParsedRequest;
    try {
      parsed = dialect.parse(JSON.parse(body));
    } catch (err) {
      const message = err instanceof BadRequestError ? err.message : 'request body is not valid JSON';
      return sendError(res, dialect.error(400, message));
    }
    state.lastRequest = parsed.request;
    if (!parsed.stream) {
      return sendError(
        res,
        dialect.error(400, 'this emulator serves streaming requests only (stream: true)'),
      );
    }
    await stream(res, parsed, fault);
  }

  async function stream(res: ServerResponse, parsed: ParsedRequest, fault: Fault | null): Promise<void> {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // No `connection` header of its own: Node's then announces the keep-alive timeout (types.ts).
      ...dialect.streamHeaders(),
    });
    res.flushHeaders();
    const gone = new AbortController();
    const stop = () => gone.abort();
    res.on('close', stop);
    closing.signal.addEventListener('abort', stop, { once: true });
    try {
      if (fault?.kind === 'stall_after_headers') {
        // Nothing more until the client gives up or the emulator closes.
        if (!gone.signal.aborted) {
          await new Promise((resolve) => gone.signal.addEventListener('abort', resolve, { once: true }));
        }
        return;
      }
      if (fault?.kind === 'close_mid_stream') {
        const timer = setTimeout(() => res.destroy(), fault.afterMs);
        gone.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
      }
      const frames = dialect.frames(parsed, offlineReply(parsed.request), toolChunks);
      await sleep(latency.firstTokenMs, gone.signal);
      let tokens = 0;
      for (const frame of frames) {
        if (gone.signal.aborted) return;
        if (frame.token && tokens++ > 0) await sleep(1000 / latency.tokensPerSecond, gone.signal);
        if (gone.signal.aborted) return;
        res.write(frame.sse);
        if (frame.token && tokens === 1 && fault?.kind === 'error_message') {
          res.end(
            dialect.inBandError(fault.message ?? 'The server had an error while processing your request.'),
          );
          return;
        }
      }
      res.end();
    } finally {
      res.off('close', stop);
      closing.signal.removeEventListener('abort', stop);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    name: dialect.name,
    baseUrl: `${scheme}://127.0.0.1:${port}`,
    port,
    get requestCount() {
      return state.requestCount;
    },
    get lastRequest() {
      return state.lastRequest;
    },
    setFault: (fault, times) => faults.setFault(fault, times),
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function messageFor(status: number): string {
  if (status === 429) return 'Rate limit reached for model.';
  if (status === 529) return 'Overloaded';
  if (status >= 500) return 'Internal Server Error';
  return `Request failed with status ${status}`;
}

/** The body as text, or null past `MAX_REQUEST_BODY_BYTES`. */
async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end even past the limit (keeping nothing), so the socket can still carry the 413.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_REQUEST_BODY_BYTES) chunks.push(chunk);
  }
  return size > MAX_REQUEST_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8');
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, answer: ErrorAnswer): void {
  sendJson(res, answer.status, answer.body, answer.headers);
}
