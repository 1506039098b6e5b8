/**
 * One Cartesia TTS WebSocket (the SDK's TTSWS) and the streams multiplexed on it by context id.
 */
import { createRequire } from 'node:module';
import net from 'node:net';
import type { Cartesia as CartesiaClient } from '@cartesia/cartesia-js';
import type { ContextOptions, TTSWS, TTSWSContext } from '@cartesia/cartesia-js/resources/tts/ws';
import type { ClientOptions } from 'ws';
import type { CartesiaEvent, CartesiaStream } from './stream.js';

const WS_OPEN = 1;

// The SDK's ESM build looks for `ws` with a bare `require`, which does not exist in ESM, and then
// falls back to a global WebSocket that Node 20 lacks ("The ws peer dependency is required"). Its
// CommonJS build finds `ws` (and honours our ws ClientOptions), so load that one.
const requireCjs = createRequire(import.meta.url);
const { Cartesia } = requireCjs('@cartesia/cartesia-js') as { Cartesia: typeof CartesiaClient };
const sdkWs = requireCjs('@cartesia/cartesia-js/resources/tts/ws') as {
  TTSWS: typeof TTSWS;
  TTSWSContext: typeof TTSWSContext;
};

/** How to reach Cartesia. */
export interface ConnectParams {
  apiKey: string;
  httpBaseUrl: string;
  /** Host and port to reach over plain TCP, or null for TLS. */
  plain: { host: string; port: number } | null;
  version: string | undefined;
  connectTimeoutMs: number;
}

/** One open socket and the streams multiplexed on it. */
export class Connection {
  readonly streams = new Map<string, CartesiaStream>();
  private closed = false;

  private constructor(private readonly ws: TTSWS) {
    // Attached before connect(): without an 'error' listener the SDK turns a failed handshake
    // into an unhandled rejection that kills the process (shared/providers.md section 0, item 2).
    ws.on('error', (err) => {
      // In-band errors of a context also arrive as events and fail that stream; socket errors
      // are followed by a close, which fails the streams.
      if (err.error && !err.error.context_id)
        this.failAll(new Error(`Cartesia TTS error: ${err.error.message || err.error.title}`));
    });
    ws.on('event', (event) => {
      const id = (event as { context_id?: string }).context_id;
      if (id) this.streams.get(id)?.push(event as CartesiaEvent);
    });
    ws.socket.addEventListener('close', (ev: { code?: number; reason?: string }) => {
      this.closed = true;
      const reason = ev.reason ? `: ${ev.reason}` : '';
      this.failAll(
        new Error(`Cartesia connection closed mid-stream (code ${ev.code ?? 'unknown'}${reason})`),
      );
    });
  }

  /** Opens a socket; rejects with a clean Error (never the key) when the handshake fails. */
  static async open(p: ConnectParams, signal?: AbortSignal): Promise<Connection> {
    const client = new Cartesia({ apiKey: p.apiKey, baseURL: p.httpBaseUrl, maxRetries: 0 });
    const wsOptions: ClientOptions = { handshakeTimeout: p.connectTimeoutMs };
    if (p.version) wsOptions.headers = { 'cartesia-version': p.version };
    const plain = p.plain;
    // The SDK always builds a wss:// URL; this sends it over plain TCP (ws honours createConnection).
    if (plain) wsOptions.createConnection = () => net.connect({ host: plain.host, port: plain.port });
    const conn = new Connection(new sdkWs.TTSWS(client, wsOptions));
    // Our own deadline: ws's handshakeTimeout does not reach a socket made by createConnection.
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`handshake not completed within ${p.connectTimeoutMs} ms`)),
        p.connectTimeoutMs,
      );
      // The owner closed: the half-open socket goes now, not at the deadline.
      onAbort = () => reject(new Error('closed while connecting'));
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([conn.ws.connect(), deadline]);
    } catch (err) {
      conn.close();
      throw new Error(`Cartesia connect failed: ${describe(err)}`);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
    return conn;
  }

  /** True while sends cannot trigger the SDK's silent reconnect (which would drop every context). */
  get isOpen(): boolean {
    return !this.closed && this.ws.socket.readyState === WS_OPEN;
  }

  /** A context on this socket. Its events reach the stream registered under its id in `streams`. */
  context(options: ContextOptions & { contextId: string }): TTSWSContext {
    // Constructed directly rather than through ws.context(), which would also queue every event
    // in an SDK-side buffer that only its receive() drains.
    return new sdkWs.TTSWSContext(this.ws, options);
  }

  /** Closes the socket (1000). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.ws.close({ code: 1000, reason: 'session ended' });
    } catch {
      // Already closing: nothing to do.
    }
  }

  private failAll(err: Error): void {
    for (const s of this.streams.values()) s.fail(err);
  }
}

/** The message of a connect failure (ws hands the SDK an ErrorEvent, not an Error). */
function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  const e = err as { message?: unknown; error?: { message?: unknown } } | null;
  const m = e?.message ?? e?.error?.message;
  return typeof m === 'string' && m ? m : 'unknown error';
}
