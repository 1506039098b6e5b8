/**
 * The one way server events leave a session: stamps `event_id`, shapes the event for the
 * connection's dialect, serialises it and guards the outbound buffer.
 *
 * Backpressure policy for a slow reader: events are never queued here or dropped, so their order
 * holds. Past `highWaterBytes` unsent, a response stops pulling audio from its TTS (`waitForRoom`)
 * until the socket is back under half of it, so a slow reader slows generation instead of growing
 * memory; control events (cancel, errors, `response.done`) still go out at once. Past
 * `maxOutboundBufferBytes` the reader is judged too slow and the socket closes with 1013.
 */
import { errorBody } from '../../protocol/realtime/index.js';
import type {
  DialectCodec,
  ErrorCode,
  OutgoingEvent,
  RealtimeErrorBody,
  ServerEvent,
} from '../../protocol/realtime/index.js';
import { newId } from '../util/ids.js';

/** What a session needs of its socket; tests inject a fake, the server wraps `ws`. */
export interface ClientTransport {
  send(text: string): void;
  /** An in-process client takes the event as an object: no JSON round trip. */
  sendEvent?(event: object): void;
  close(code: number, reason: string): void;
  /** Bytes queued in the socket and not yet written. */
  readonly bufferedAmount: number;
}

/** WebSocket close code for a reader that cannot keep up ("try again later"). */
export const CLOSE_SLOW_CONSUMER = 1013;
/**
 * How often a paused response looks at the socket's unsent bytes again. `ws` has no drain event
 * of its own; 10 ms is a few audio chunks' worth of playback, and the check costs nothing.
 */
const DRAIN_POLL_MS = 10;

/** How the writer treats a slow reader. */
export interface BackpressureOptions {
  /** Unsent bytes at which responses stop pulling TTS audio until the socket drains to half. */
  highWaterBytes: number;
  /** Unsent bytes at which the socket is closed with 1013. */
  maxBytes: number;
  /** Told each time a response pauses, and when the socket is closed for a slow reader. */
  onBackpressure?: (action: 'paused' | 'closed') => void;
}

/** Serialises events for one connection. */
export class EventWriter {
  private closed = false;

  constructor(
    private readonly transport: ClientTransport,
    private readonly codec: DialectCodec,
    private readonly limits: BackpressureOptions,
    /** Sees every event in GA form as it is sent (metrics, tests). */
    private readonly observer?: (event: ServerEvent) => void,
  ) {}

  /** Sends one event; returns it as sent (GA form, with its `event_id`). */
  emit<E extends OutgoingEvent>(event: E): E & { event_id: string } {
    // `type` then `event_id` lead the JSON, as OpenAI's events do; the spread keeps `type` as is.
    const stamped = Object.assign({ type: event.type, event_id: newId('event') }, event) as E & {
      event_id: string;
    };
    if (this.closed) return stamped;
    if (this.transport.bufferedAmount > this.limits.maxBytes) {
      this.closed = true;
      this.limits.onBackpressure?.('closed');
      this.transport.close(CLOSE_SLOW_CONSUMER, 'outbound buffer limit reached: the client reads too slowly');
      return stamped;
    }
    const shaped = this.codec.encode(stamped as unknown as ServerEvent);
    this.observer?.(stamped as unknown as ServerEvent);
    if (!shaped) return stamped;
    if (this.transport.sendEvent) this.transport.sendEvent(shaped);
    else this.transport.send(JSON.stringify(shaped));
    return stamped;
  }

  /** Sends an `error` event. */
  error(body: RealtimeErrorBody): void {
    this.emit({ type: 'error', error: body });
  }

  /** Refuses a client event: an `error` with its code, the event's id and the parameter at fault. */
  refuse(code: ErrorCode, eventId: string | undefined, param: string | null, message?: string): void {
    this.error(errorBody(code, { eventId: eventId ?? null, param, message }));
  }

  /** Whether the socket holds more unsent bytes than the high-water mark. */
  get congested(): boolean {
    return !this.closed && this.transport.bufferedAmount > this.limits.highWaterBytes;
  }

  /**
   * Resolves once the socket holds at most half the high-water mark (at once when it already
   * does), when the writer closes, or when `signal` aborts. Never rejects.
   */
  async waitForRoom(signal: AbortSignal): Promise<void> {
    if (!this.congested) return;
    this.limits.onBackpressure?.('paused');
    const lowWater = this.limits.highWaterBytes / 2;
    while (!this.closed && !signal.aborted && this.transport.bufferedAmount > lowWater) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, DRAIN_POLL_MS);
        signal.addEventListener('abort', done, { once: true });
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
      });
    }
  }

  /** Marks the writer closed: later events are dropped. */
  markClosed(): void {
    this.closed = true;
  }
}
