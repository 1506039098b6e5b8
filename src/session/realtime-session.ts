/**
 * One Realtime session: routes client events to their handlers and owns the session state
 * (effective config, conversation, input audio buffer, active responses). It speaks GA only; the
 * connection's codec translates beta at the edge.
 */
import { createCodec, errorBody } from '../../protocol/realtime/index.js';
import type {
  ClientEvent,
  ClientEventOf,
  Dialect,
  DialectCodec,
  ErrorCode,
  ServerEvent,
  SessionObject,
} from '../../protocol/realtime/index.js';
import { decodeBase64Strict } from '../audio/base64.js';
import { AUDIO_FORMATS, bytesPerMs } from '../audio/formats.js';
import type { Stages } from '../providers/types.js';
import { newId } from '../util/ids.js';
import { Conversation } from './conversation.js';
import type { Entry } from './conversation.js';
import { EventWriter } from './event-writer.js';
import type { ClientTransport } from './event-writer.js';
import { InputAudioBuffer } from './input-audio-buffer.js';
import { SessionLifetime } from './lifetime.js';
import type { ExpiryReason } from './lifetime.js';
import { ItemEvents } from './item-events.js';
import { userAudioEntry } from './item-input.js';
import type { SessionLimits } from './limits.js';
import type { LanguagePolicy } from './response-request.js';
import { Responses } from './responses.js';
import { applySessionUpdate, defaultRealtimeSession, defaultTranscriptionSession } from './session-config.js';
import type { SessionDefaults } from './session-config.js';
import { transcribeItem } from './transcriber.js';
import type { AudioFormatType } from '../audio/formats.js';
import type { TurnLatency } from './turn-latency.js';
import { VadTurns } from './vad-turns.js';

export type { TurnLatency } from './turn-latency.js';

/** One inbound WebSocket message as the session queues it. */
interface Inbound {
  data: string;
  isBinary: boolean;
  /** Set for a message dropped unread for its size. */
  tooLargeBytes?: number;
  /** An event built in-process (the telephony bridge), already typed: not parsed again. */
  event?: ClientEvent;
}

/** Minimum audio a commit needs (OpenAI: "Expected at least 100ms of audio"). */
export const MIN_COMMIT_MS = 100;
/** WebSocket close code when the session reaches its maximum duration (going away). */
export const CLOSE_SESSION_EXPIRED = 1001;

/** Structured logger the session writes to (fixed messages, variables in fields). */
export type SessionLog = (
  level: 'info' | 'warn' | 'error',
  msg: string,
  fields: Record<string, unknown>,
) => void;

/** What a session is built from. */
export interface SessionOptions {
  transport: ClientTransport;
  dialect: Dialect;
  kind: 'realtime' | 'transcription';
  stages: Stages;
  limits: SessionLimits;
  defaults: SessionDefaults;
  /** The URL named no model, so the first `session.update` may set it. */
  modelOpen: boolean;
  /** Maps a voice (OpenAI name or provider id) and the language to speak to the TTS's voice id. */
  resolveVoice: (voice: string, language: string | undefined) => string;
  log: SessionLog;
  /** Sees every server event in GA form (tests, metrics). */
  observer?: (event: ServerEvent) => void;
  /** Told how long each server-VAD turn took from the end of speech to the first audio. */
  onTurnLatency?: (latency: TurnLatency) => void;
  /** Told, per barge-in, the ms from the user's first word to the answer being stopped. */
  onBargeIn?: (stopMs: number) => void;
  /** Start the response when silence begins, held until the turn is confirmed (off when absent). */
  speculativeTurnStart?: boolean;
  /** Log each LLM request's instructions and messages (`LOG_CONTENT`, a debugging aid). */
  logContent?: boolean;
  /** Told when a slow reader pauses a response or is disconnected (metrics). */
  onBackpressure?: (action: 'paused' | 'closed') => void;
  /** Told when session `truncation` leaves items out of an LLM request (metrics). */
  onContextCut?: () => void;
  /** Telephony: the call, not the client, decides the spoken language and its instructions. */
  languagePolicy?: LanguagePolicy;
}

/** A Realtime session bound to one connection. */
export class RealtimeSession {
  readonly id: string;
  private readonly writer: EventWriter;
  private readonly codec: DialectCodec;
  private readonly conversation: Conversation;
  private readonly input: InputAudioBuffer;
  private readonly abort = new AbortController();
  private readonly pending: Inbound[] = [];
  private readonly dropped: (string | null)[] = [];
  private readonly responses: Responses;
  private session: SessionObject;
  private started = false;
  private closed = false;
  private audioSent = false;
  private modelOpen: boolean;
  private readonly turns: VadTurns;
  private readonly items: ItemEvents;
  private readonly lifetime: SessionLifetime;

  constructor(private readonly o: SessionOptions) {
    this.id = o.defaults.id;
    this.codec = createCodec(o.dialect);
    this.writer = new EventWriter(
      o.transport,
      this.codec,
      {
        highWaterBytes: o.limits.outboundHighWaterBytes,
        maxBytes: o.limits.maxOutboundBufferBytes,
        onBackpressure: (action) => {
          o.onBackpressure?.(action);
          // Past the hard limit the socket is being closed: nothing more can reach the client, so
          // the responses and provider streams stop now rather than run on into the void.
          if (action === 'closed') queueMicrotask(() => this.close());
        },
      },
      o.observer,
    );
    this.lifetime = new SessionLifetime({
      maxDurationMs: o.limits.maxSessionDurationMs,
      idleTimeoutMs: o.limits.idleTimeoutMs,
      busy: () => this.responses.size > 0,
      onExpire: (reason) => this.expire(reason),
    });
    this.session =
      o.kind === 'transcription'
        ? defaultTranscriptionSession(o.defaults)
        : defaultRealtimeSession(o.defaults);
    this.conversation = new Conversation(o.limits.maxConversationItems, o.limits.maxRetainedAudioBytes);
    this.input = new InputAudioBuffer(
      bytesPerMs(this.session.audio.input.format.type),
      o.limits.maxInputAudioBufferMs,
      sampleBytesOf(this.session.audio.input.format.type),
    );
    this.modelOpen = o.modelOpen;
    this.responses = new Responses({
      id: this.id,
      session: () => this.session,
      conversation: this.conversation,
      writer: this.writer,
      stages: o.stages,
      limits: o.limits,
      resolveVoice: o.resolveVoice,
      languagePolicy: o.languagePolicy,
      logContent: o.logContent ?? false,
      log: o.log,
      transcribeClientAudio: (entry, audio) => this.items.transcribeClientAudio(entry, audio, false),
      audioSent: () => {
        this.audioSent = true;
      },
      finished: (run) => {
        this.lifetime.touch();
        this.turns.armIdleAfter(run);
      },
      onTurnLatency: o.onTurnLatency,
      onContextCut: o.onContextCut,
    });
    this.turns = new VadTurns({
      id: this.id,
      session: () => this.session,
      closed: () => this.closed,
      input: this.input,
      writer: this.writer,
      conversation: this.conversation,
      stages: o.stages,
      signal: this.abort.signal,
      speculativeTurnStart: o.speculativeTurnStart ?? false,
      log: o.log,
      commitEntry: (entry, audio, eventId) => this.commitEntry(entry, audio, eventId),
      createResponse: (params, eventId, speculative) => this.responses.create(params, eventId, speculative),
      activeDefault: () => this.responses.inConversation(),
      activate: (run) => this.responses.activate(run),
      measure: (run, latency) => this.responses.measure(run, latency),
      bargeIn: (stopMs) => o.onBargeIn?.(stopMs),
    });
    this.items = new ItemEvents({
      session: () => this.session,
      conversation: this.conversation,
      writer: this.writer,
      active: () => this.responses.all(),
      transcribe: (entry, audio, announce) => this.transcribe(entry, audio, announce),
    });
  }

  /** The effective session object. */
  get config(): SessionObject {
    return this.session;
  }

  /** Sends `session.created`, then handles the events that arrived before it. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.writer.emit({ type: 'session.created', session: this.session });
    this.turns.sync();
    this.lifetime.start();
    for (const message of this.pending.splice(0)) this.dispatch(message);
    for (const eventId of this.dropped.splice(0))
      this.writer.error(errorBody('too_many_pending_events', { eventId }));
  }

  /** One inbound WebSocket message. Never throws. */
  receive(data: string, isBinary: boolean): void {
    this.enqueue({ data, isBinary });
  }

  /** An event from an in-process client (the telephony bridge): handled like a parsed one. */
  receiveEvent(event: ClientEvent): void {
    this.enqueue({ data: '', isBinary: false, event });
  }

  /**
   * Speaks `text` as an assistant response in the conversation, without asking the LLM (a phone
   * greeting). Refused, as `response.create` would be, while another response is active.
   */
  say(text: string): boolean {
    if (!this.started || this.closed) return false;
    return this.responses.create({}, undefined, undefined, text) !== undefined;
  }

  /** A message over the size limit, dropped unread: it is answered with `message_too_large`. */
  receiveTooLarge(bytes: number): void {
    this.enqueue({ data: '', isBinary: false, tooLargeBytes: bytes });
  }

  private enqueue(message: Inbound): void {
    const { data } = message;
    if (this.closed) return;
    this.lifetime.touch();
    if (this.started) return this.dispatch(message);
    if (this.pending.length < this.o.limits.maxPendingEvents) this.pending.push(message);
    // Refusals are answered after session.created, which must stay the first server event.
    else if (this.dropped.length < this.o.limits.maxPendingEvents) this.dropped.push(peekEventId(data));
  }

  /** Stops everything the session runs; no event is sent after this. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.markClosed();
    this.abort.abort();
    this.responses.close();
    this.lifetime.stop();
    this.turns.close();
    this.o.stages.close?.();
  }

  private dispatch({ data: text, isBinary, tooLargeBytes, event }: Inbound): void {
    if (event) return this.handleSafely(event);
    if (isBinary) return this.writer.error(errorBody('binary_frame_not_supported'));
    if (tooLargeBytes !== undefined) {
      return this.writer.error(
        errorBody('message_too_large', {
          message: `The event is ${tooLargeBytes} bytes; the most this gateway accepts is ${this.o.limits.maxMessageBytes}.`,
        }),
      );
    }
    const parsed = this.codec.decode(text);
    if (!parsed.ok) {
      this.writer.error(parsed.error);
      return;
    }
    this.handleSafely(parsed.event);
  }

  private handleSafely(event: ClientEvent): void {
    try {
      this.handle(event);
    } catch (err) {
      // A handler bug must not take the process or the session down.
      this.o.log('error', 'client event handler failed', {
        sessionId: this.id,
        type: event.type,
        error: String(err),
      });
      this.writer.error(errorBody('server_error', { eventId: event.event_id ?? null }));
    }
  }

  private handle(event: ClientEvent): void {
    switch (event.type) {
      case 'session.update':
        return this.onSessionUpdate(event);
      case 'input_audio_buffer.append':
        return this.onAppend(event);
      case 'input_audio_buffer.commit':
        return this.onCommit(event);
      case 'input_audio_buffer.clear':
        this.input.clear();
        this.turns.endTurn();
        this.writer.emit({ type: 'input_audio_buffer.cleared' });
        return;
      case 'conversation.item.create':
        return this.items.create(event);
      case 'conversation.item.retrieve':
        return this.items.retrieve(event);
      case 'conversation.item.delete':
        return this.items.delete(event);
      case 'conversation.item.truncate':
        return this.items.truncate(event);
      case 'response.create':
        return this.onResponseCreate(event);
      case 'response.cancel':
        return this.responses.cancel(event);
      case 'output_audio_buffer.clear':
        return this.fail(
          'unsupported_event',
          event.event_id,
          'type',
          'output_audio_buffer.clear applies to WebRTC and SIP only: over WebSocket the client owns playback, so send response.cancel and conversation.item.truncate.',
        );
      case 'session.input_audio_buffer.append':
      case 'session.close':
        return this.fail(
          'unsupported_event',
          event.event_id,
          'type',
          `${event.type} belongs to translation sessions, which this gateway does not offer.`,
        );
    }
  }

  private fail(
    code: ErrorCode,
    eventId: string | undefined,
    param: string | null,
    message?: string,
  ): undefined {
    this.writer.refuse(code, eventId, param, message);
    return undefined;
  }

  private onSessionUpdate(event: ClientEventOf<'session.update'>): void {
    const result = applySessionUpdate(this.session, event.session, {
      audioSent: this.audioSent,
      modelOpen: this.modelOpen,
    });
    if (!result.ok)
      return this.fail(result.error.code, event.event_id, result.error.param, result.error.message);
    const formatChanged = result.session.audio.input.format.type !== this.session.audio.input.format.type;
    // Answered before it is applied: should sending fail, the dispatcher reports it and nothing changed.
    this.writer.emit({ type: 'session.updated', session: result.session });
    if (event.session.type === 'realtime' && event.session.model !== undefined) this.modelOpen = false;
    this.session = result.session;
    // Buffered audio is in the old format; keeping it would mix encodings in one item.
    if (formatChanged) {
      const type = this.session.audio.input.format.type;
      this.input.clear(bytesPerMs(type), sampleBytesOf(type));
    }
    this.turns.sync();
  }

  private onAppend(event: ClientEventOf<'input_audio_buffer.append'>): void {
    const bytes = decodeBase64Strict(event.audio);
    if (!bytes) return this.fail('invalid_audio', event.event_id, 'audio');
    if (this.session.audio.input.format.type === 'audio/pcm' && bytes.byteLength % 2 !== 0) {
      return this.fail(
        'invalid_audio_length',
        event.event_id,
        'audio',
        'PCM16 audio must hold a whole number of 2-byte samples.',
      );
    }
    if (!this.input.append(bytes)) {
      return this.fail(
        'input_audio_buffer_full',
        event.event_id,
        'audio',
        `The input audio buffer holds at most ${this.o.limits.maxInputAudioBufferMs} ms; commit or clear it first.`,
      );
    }
    this.turns.append(bytes, event.event_id);
  }

  private onCommit(event: ClientEventOf<'input_audio_buffer.commit'>): void {
    const ms = this.input.durationMs;
    if (ms < MIN_COMMIT_MS) {
      return this.fail(
        'input_audio_buffer_commit_empty',
        event.event_id,
        null,
        `Error committing input audio buffer: buffer too small. Expected at least ${MIN_COMMIT_MS}ms of audio, but buffer only has ${ms.toFixed(2)}ms of audio.`,
      );
    }
    if (!this.conversation.hasRoom())
      return this.fail('conversation_item_limit_reached', event.event_id, null);
    this.turns.endTurn();
    const audio = this.input.take();
    const entry = userAudioEntry(newId('item'));
    if (this.commitEntry(entry, audio, event.event_id)) this.transcribe(entry, audio);
  }

  /** Inserts a user audio item and announces it; false (with an error sent) when it does not fit. */
  private commitEntry(entry: Entry, audio: readonly Uint8Array[], eventId: string | undefined): boolean {
    const type = this.session.audio.input.format.type;
    entry.extras.audio = [...audio];
    entry.extras.audioBytesPerMs = bytesPerMs(type);
    const inserted = this.conversation.insert(entry);
    if (!inserted.ok) {
      this.fail(inserted.error, eventId, null);
      return false;
    }
    this.writer.emit({
      type: 'input_audio_buffer.committed',
      item_id: entry.item.id,
      previous_item_id: inserted.previousItemId,
    });
    this.items.announce(entry, inserted.previousItemId);
    return true;
  }

  private transcribe(entry: Entry, audio: readonly Uint8Array[], announce = true): void {
    entry.extras.transcriptReady = transcribeItem({
      entry,
      audio,
      format: this.session.audio.input.format,
      transcription: announce ? this.session.audio.input.transcription : null,
      stt: this.o.stages.stt,
      writer: this.writer,
      signal: this.abort.signal,
      log: (msg, fields) => this.o.log('warn', msg, { sessionId: this.id, ...fields }),
    });
  }

  private onResponseCreate(event: ClientEventOf<'response.create'>): void {
    this.responses.create(event.response ?? {}, event.event_id);
  }

  /** Resolves when no response is running (at once if none is), or when the session closes. */
  whenIdle(): Promise<void> {
    return this.responses.whenIdle();
  }

  private expire(reason: ExpiryReason): void {
    if (this.closed) return;
    const { maxSessionDurationMs, idleTimeoutMs } = this.o.limits;
    const message =
      reason === 'idle'
        ? `Your session was idle for ${Math.round(idleTimeoutMs / 1000)} seconds, the most this server allows.`
        : `Your session hit the maximum duration of ${Math.round(maxSessionDurationMs / 60_000)} minutes.`;
    this.writer.error(errorBody('session_expired', { message }));
    this.o.transport.close(CLOSE_SESSION_EXPIRED, reason === 'idle' ? 'session idle' : 'session expired');
    this.close();
  }
}

/** The `event_id` of a raw event, if it has one, without trusting it to parse. */
function peekEventId(text: string): string | null {
  try {
    const v = JSON.parse(text) as { event_id?: unknown };
    return typeof v.event_id === 'string' ? v.event_id : null;
  } catch {
    return null;
  }
}

function sampleBytesOf(type: AudioFormatType): number {
  return AUDIO_FORMATS[type].bytesPerSample;
}
