/**
 * What every provider emulator shares: a loopback server speaking one provider's wire protocol,
 * with a latency profile and fault injection, so the real SDKs can be pointed at it by base URL.
 */

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
