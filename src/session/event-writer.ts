/**
 * The one way server events leave a session: stamps `event_id`, shapes the event for the
 * connection's dialect, serialises it and guards the outbound buffer.
 */
import type {
  DialectCodec,
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

/** Serialises events for one connection. */
export class EventWriter {
  private closed = false;

  constructor(
    private readonly transport: ClientTransport,
    private readonly codec: DialectCodec,
    private readonly maxOutboundBufferBytes: number,
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
    if (this.transport.bufferedAmount > this.maxOutboundBufferBytes) {
      this.closed = true;
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

  /** Marks the writer closed: later events are dropped. */
  markClosed(): void {
    this.closed = true;
  }
}
