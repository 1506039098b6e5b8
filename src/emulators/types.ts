/**
 * What every provider emulator shares: a loopback server speaking one provider's wire protocol,
 * with a latency profile and fault injection, so the real SDKs can be pointed at it by base URL.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

/** A fault an emulator injects into the next requests or connections. */
export type Fault =
  /** Refuse the WebSocket upgrade (or the HTTP request) with this status. */
  | { kind: 'refuse_handshake'; status: number }
  /** Answer an HTTP request with this status (429 carries `retry-after`). */
  | { kind: 'http_error'; status: number; retryAfterSeconds?: number }
  /** Close the stream or socket after `afterMs` of a response (WS: with `code` and `reason`). */
  | { kind: 'close_mid_stream'; afterMs: number; code?: number; reason?: string }
  /** Send headers (or accept the upgrade), then never send anything else. */
  | { kind: 'stall_after_headers' }
  /** Send the provider's own error message in-band. */
  | { kind: 'error_message'; message?: string };

/** Fault control of a running emulator. */
export interface FaultControl {
  /** Injects `fault` into the next `times` requests or connections (default: every one until cleared). */
  setFault(fault: Fault | null, times?: number): void;
}

/** A running emulator. */
export interface RunningEmulator extends FaultControl {
  readonly name: string;
  /** What the provider's SDK takes as its base URL. */
  readonly baseUrl: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Counts fault uses: shared by the emulators so `times` means the same everywhere. */
export class FaultSlot implements FaultControl {
  private fault: Fault | null = null;
  private remaining = Infinity;

  setFault(fault: Fault | null, times = Infinity): void {
    this.fault = fault;
    this.remaining = times;
  }

  /** The fault to apply to this request or connection, consuming one use. */
  take(): Fault | null {
    if (!this.fault || this.remaining <= 0) return null;
    this.remaining--;
    const f = this.fault;
    if (this.remaining <= 0) this.fault = null;
    return f;
  }
}

/** A certificate and key (PEM) an emulator serves TLS with, as the real providers do. */
export interface EmulatorTls {
  cert: string;
  key: string;
}

/**
 * The emulators' HTTP server: plain, or TLS with `tls` (`https:` and `wss:` base URLs), so a
 * benchmark can include the encryption the gateway pays on every provider link in production.
 */
export function createEmulatorServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  tls?: EmulatorTls,
): { server: Server; scheme: 'http' | 'https' } {
  const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createServer(handler);
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  return { server, scheme: tls ? 'https' : 'http' };
}

/**
 * How long an emulator keeps an idle HTTP connection, and announces in `Keep-Alive: timeout`. Node's
 * default, 5 s, is shorter than the gateway's own 30 s for LLM sockets (node-fetch.ts), and the
 * gateway's agent obeys the announced value, so a benchmark would reconnect between turns more
 * often than with a server that keeps connections longer; what the real providers keep was not
 * measured here (no internet), so the gateway's setting decides, with this as the ceiling.
 */
const KEEP_ALIVE_MS = 60_000;
