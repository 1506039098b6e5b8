/**
 * The kit's Realtime client: a plain `ws` connection that records every event in both directions
 * (audio payloads reduced to their size), lets a scenario wait for the events it expects, and
 * probes the handshake over HTTP. It knows nothing of the gateway: only the wire.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { gaName } from './dialect.js';
import type { Dialect } from './dialect.js';

/** Where and how to connect. */
export interface Endpoint {
  /** `ws(s)://host/v1/realtime`, with or without a query. */
  url: string;
  key: string;
  dialect: Dialect;
  /** Model for the `model` query parameter, when the URL has none. */
  model: string;
  /** Extra trusted CA certificates (PEM), for a self-signed TLS endpoint. */
  ca?: Buffer;
  /** How long any one wait may take. */
  stepTimeoutMs: number;
}

/** One recorded event: sent (`out`) or received (`in`). */
export interface Recorded {
  dir: 'in' | 'out';
  /** Milliseconds since the scenario started. */
  at: number;
  /** The type as it travelled. */
  type: string;
  /** The GA name of the type (beta names mapped). */
  ga: string;
  /** The event; audio payloads replaced by their decoded byte count in `audioBytes`. */
  e: Record<string, unknown>;
  audioBytes?: number;
}

/** Thrown when an expectation is not met: the scenario fails with this message. */
export class KitFailure extends Error {}

/** Connection options beyond the endpoint. */
export interface ConnectOptions {
  /** `intent=transcription` instead of `model=`. */
  transcription?: boolean;
  /** Replaces the key (`null`: send none). */
  key?: string | null;
  headers?: Record<string, string>;
}

/** Builds the URL of a connection. */
export function endpointUrl(ep: Endpoint, opts: { transcription?: boolean; path?: string } = {}): URL {
  const url = new URL(ep.url);
  if (opts.path !== undefined) url.pathname = opts.path;
  if (opts.transcription) {
    url.searchParams.delete('model');
    url.searchParams.set('intent', 'transcription');
  } else if (!url.searchParams.has('model') && !url.searchParams.has('intent')) {
    url.searchParams.set('model', ep.model);
  }
  return url;
}

function handshakeHeaders(ep: Endpoint, opts: ConnectOptions): Record<string, string> {
  const key = opts.key === undefined ? ep.key : opts.key;
  return {
    ...(key !== null ? { authorization: `Bearer ${key}` } : {}),
    ...(ep.dialect === 'beta' ? { 'openai-beta': 'realtime=v1' } : {}),
    ...opts.headers,
  };
}

/** A Realtime connection that records its traffic. */
export class KitClient {
  readonly log: Recorded[] = [];
  /** Close code and reason once the socket has closed. */
  closed: { code: number; reason: string } | null = null;
  private cursor = 0;
  private waiters: { match: (r: Recorded) => boolean; resolve: (r: Recorded) => void }[] = [];
  private closeWaiters: (() => void)[] = [];

  private constructor(
    readonly ws: WebSocket,
    readonly ep: Endpoint,
    private readonly t0: number,
  ) {
    ws.on('message', (data, isBinary) => {
      let e: Record<string, unknown>;
      try {
        e = isBinary ? { type: '(binary frame)' } : (JSON.parse(data.toString()) as Record<string, unknown>);
      } catch {
        e = { type: '(invalid JSON)' };
      }
      this.record('in', e);
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.closeWaiters.splice(0)) w();
    });
  }

  /** Opens a connection; rejects with the HTTP status when the upgrade is refused. */
  static async connect(ep: Endpoint, t0: number, opts: ConnectOptions = {}): Promise<KitClient> {
    const ws = new WebSocket(endpointUrl(ep, opts), {
      headers: handshakeHeaders(ep, opts),
      ...(ep.ca ? { ca: ep.ca } : {}),
      // Frames as large as the kit's own message_too_large probe must be writable.
      maxPayload: 256 * 1024 * 1024,
    });
    // Listen before `open`: session.created may arrive in the same read as the upgrade response.
    const client = new KitClient(ws, ep, t0);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new KitFailure('connection timed out')), ep.stepTimeoutMs);
      ws.once('open', () => (clearTimeout(timer), resolve()));
      ws.once(
        'error',
        (err) => (clearTimeout(timer), reject(new KitFailure(`connection failed: ${err.message}`))),
      );
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        reject(new KitFailure(`upgrade refused with HTTP ${res.statusCode}`));
      });
    });
    return client;
  }

  private record(dir: 'in' | 'out', event: Record<string, unknown>): Recorded {
    const type = String(event.type);
    const e = { ...event };
    let audioBytes: number | undefined;
    const ga = dir === 'in' ? gaName(type, this.ep.dialect) : type;
    const field =
      ga === 'response.output_audio.delta' ? 'delta' : type === 'input_audio_buffer.append' ? 'audio' : null;
    if (field && typeof e[field] === 'string') {
      audioBytes = Buffer.byteLength(e[field] as string, 'base64');
      e[field] = `(${audioBytes} bytes)`;
    }
    const r: Recorded = {
      dir,
      at: performance.now() - this.t0,
      type,
      ga,
      e,
      ...(audioBytes !== undefined ? { audioBytes } : {}),
    };
    this.log.push(r);
    if (dir === 'in') this.waiters = this.waiters.filter((w) => (w.match(r) ? (w.resolve(r), false) : true));
    return r;
  }

  /** Sends one event and records it. */
  send(event: Record<string, unknown>): void {
    if (this.ws.readyState !== WebSocket.OPEN)
      throw new KitFailure(`socket closed before sending ${String(event.type)}`);
    this.ws.send(JSON.stringify(event));
    this.record('out', event);
  }

  /** Sends a raw frame (text or binary), recorded as a pseudo-event. */
  sendRaw(data: string | Buffer, label: string): void {
    this.ws.send(data, { binary: typeof data !== 'string' });
    this.record('out', { type: label });
  }

  /** Received events, in order. */
  received(from = 0): Recorded[] {
    return this.log.slice(from).filter((r) => r.dir === 'in');
  }

  /** Index of the next record: pass it to `next` or `received` to look only at what follows. */
  mark(): number {
    return this.log.length;
  }

  /**
   * The first received event of GA type `ga` (and `pred`) after the cursor (or `from`); moves the
   * cursor past it. Fails after the step timeout.
   */
  next(
    ga: string,
    pred: (e: Record<string, unknown>) => boolean = () => true,
    from?: number,
    timeoutMs = this.ep.stepTimeoutMs,
  ): Promise<Record<string, unknown>> {
    const start = from ?? this.cursor;
    const match = (r: Recorded) => r.dir === 'in' && r.ga === ga && pred(r.e);
    for (let i = start; i < this.log.length; i++) {
      if (match(this.log[i]!)) {
        this.cursor = i + 1;
        return Promise.resolve(this.log[i]!.e);
      }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        const seen = this.received(start).map((r) => r.type);
        reject(
          new KitFailure(
            `timed out after ${timeoutMs} ms waiting for ${ga}; got [${seen.slice(-12).join(', ')}]`,
          ),
        );
      }, timeoutMs);
      const done = (r: Recorded) => {
        clearTimeout(timer);
        this.cursor = this.log.indexOf(r) + 1;
        resolve(r.e);
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  /** Resolves when the socket closes; fails after the step timeout. */
  waitClosed(): Promise<{ code: number; reason: string }> {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new KitFailure('timed out waiting for the socket to close')),
        this.ep.stepTimeoutMs,
      );
      this.closeWaiters.push(() => (clearTimeout(timer), resolve(this.closed!)));
    });
  }

  /** Closes with 1000 and waits (bounded) for the close. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => this.closeWaiters.push(resolve));
    this.ws.close(1000, 'OK');
    const timer = setTimeout(() => this.ws.terminate(), 2_000);
    await closed;
    clearTimeout(timer);
  }
}

/** What an HTTP request or refused upgrade got back. */
export interface HttpAnswer {
  status: number;
  body: string;
}

/**
 * A request to the endpoint's host: an upgrade attempt (`upgrade: true`) or a plain GET.
 * Resolves with the HTTP status and body; 101 when the upgrade was accepted (the socket is closed).
 */
export function probe(
  ep: Endpoint,
  opts: ConnectOptions & { path?: string; query?: Record<string, string>; upgrade: boolean },
): Promise<HttpAnswer> {
  const url = endpointUrl(ep, opts);
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
  const secure = url.protocol === 'wss:' || url.protocol === 'https:';
  const headers: Record<string, string> = {
    ...handshakeHeaders(ep, opts),
    ...(opts.upgrade
      ? {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': Buffer.from('conformance-kit!').toString('base64'),
        }
      : {}),
  };
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(
      {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || (secure ? 443 : 80),
        path: url.pathname + url.search,
        method: 'GET',
        headers,
        ...(ep.ca ? { ca: ep.ca } : {}),
        timeout: ep.stepTimeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, body: '' });
    });
    req.on('timeout', () => req.destroy(new KitFailure('HTTP request timed out')));
    req.on('error', (err) =>
      reject(err instanceof KitFailure ? err : new KitFailure(`HTTP request failed: ${err.message}`)),
    );
    req.end();
  });
}
