/**
 * The beta dialect as a translation at the edge of one connection: beta client events become GA
 * events, GA server events become beta ones (shared/realtime-protocol.md 2.2 to 2.4). The session
 * core speaks GA only. A codec holds the little state beta needs that GA has no field for.
 */
import type { AudioFormat, BetaAudioFormat } from './common.js';
import type { BetaClientEvent, BetaResponseParams, ClientEvent, ResponseParams } from './client-events.js';
import type { BetaItemCreate, ItemCreate } from './items.js';
import { parseBetaClientEvent, parseClientEvent } from './parse.js';
import type { Dialect, ParseResult } from './parse.js';
import { BETA_EVENT_NAMES } from './server-events.js';
import type { ResponseObject, ServerEvent } from './server-events.js';
import type { BetaSessionUpdate, RealtimeSessionUpdate, SessionObject } from './session.js';

/** Parses inbound frames and shapes outbound events for one connection's dialect. */
export interface DialectCodec {
  readonly dialect: Dialect;
  /** One inbound text frame to a GA client event, or the error that answers it. */
  decode(text: string): ParseResult<ClientEvent>;
  /** One GA server event to the object to send, or `null` when the dialect has no such event. */
  encode(event: ServerEvent): object | null;
}

/** Creates the codec for a connection. */
export function createCodec(dialect: Dialect): DialectCodec {
  return dialect === 'beta' ? new BetaCodec() : GA_CODEC;
}

const GA_CODEC: DialectCodec = { dialect: 'ga', decode: parseClientEvent, encode: (e) => e };

/** Beta default temperature; GA has no such field, so the codec remembers what the client set. */
const BETA_DEFAULT_TEMPERATURE = 0.8;

const FORMAT_TO_GA: Record<BetaAudioFormat, AudioFormat> = {
  pcm16: { type: 'audio/pcm', rate: 24_000 },
  g711_ulaw: { type: 'audio/pcmu' },
  g711_alaw: { type: 'audio/pcma' },
};
const FORMAT_TO_BETA: Record<AudioFormat['type'], BetaAudioFormat> = {
  'audio/pcm': 'pcm16',
  'audio/pcmu': 'g711_ulaw',
  'audio/pcma': 'g711_alaw',
};

class BetaCodec implements DialectCodec {
  readonly dialect = 'beta' as const;
  private temperature = BETA_DEFAULT_TEMPERATURE;
  /**
   * Beta-only values of the event being handled. The session answers a client event synchronously,
   * so the next `session.updated` / `response.created` (or `error`) is that event's answer: the
   * value takes effect only when the answer is not an error.
   */
  private pendingSessionTemperature: number | undefined;
  private pendingResponseTemperature: number | undefined;
  private readonly responseTemperatures = new Map<string, number>();
  /**
   * The frame being handled failed the beta parse, so the error that answers it (sent at once)
   * already names the field as the client sent it: renaming a GA path there would name a field
   * the client never sent (`session.output_modalities` sent to beta reported as `session.modalities`).
   */
  private parseFailed = false;

  decode(text: string): ParseResult<ClientEvent> {
    const parsed = parseBetaClientEvent(text);
    this.parseFailed = !parsed.ok;
    return parsed.ok ? { ok: true, event: this.toGa(parsed.event) } : parsed;
  }

  encode(event: ServerEvent): object | null {
    switch (event.type) {
      case 'conversation.item.done':
      case 'input_audio_buffer.timeout_triggered':
        return null;
      case 'error':
        this.pendingSessionTemperature = undefined;
        this.pendingResponseTemperature = undefined;
        if (this.parseFailed) {
          this.parseFailed = false;
          return event;
        }
        return {
          ...event,
          error: { ...event.error, param: event.error.param && betaParam(event.error.param) },
        };
      case 'session.created':
      case 'session.updated': {
        if (this.pendingSessionTemperature !== undefined) this.temperature = this.pendingSessionTemperature;
        this.pendingSessionTemperature = undefined;
        const transcription = event.session.type === 'transcription';
        const type = transcription ? `transcription_${event.type}` : event.type;
        return { type, event_id: event.event_id, session: this.session(event.session) };
      }
      case 'response.created':
        this.responseTemperatures.set(event.response.id, this.pendingResponseTemperature ?? this.temperature);
        this.pendingResponseTemperature = undefined;
        return { ...event, response: this.response(event.response) };
      case 'response.done': {
        const out = { ...event, response: this.response(event.response) };
        this.responseTemperatures.delete(event.response.id);
        return out;
      }
      case 'response.function_call_arguments.done': {
        const { name: _name, ...rest } = event;
        return rest;
      }
      default: {
        const renamed = BETA_EVENT_NAMES[event.type];
        const out: Record<string, unknown> = renamed ? { ...event, type: renamed } : { ...event };
        if ('item' in event) out.item = betaItem(event.item);
        return out;
      }
    }
  }

  private toGa(event: BetaClientEvent): ClientEvent {
    switch (event.type) {
      case 'session.update':
        this.pendingSessionTemperature = event.session.temperature;
        return { type: 'session.update', event_id: event.event_id, session: sessionToGa(event.session) };
      case 'transcription_session.update': {
        const s = event.session;
        const input = defined({
          format: s.input_audio_format && FORMAT_TO_GA[s.input_audio_format],
          transcription: s.input_audio_transcription,
          noise_reduction: s.input_audio_noise_reduction,
          turn_detection: s.turn_detection,
        });
        return {
          type: 'session.update',
          event_id: event.event_id,
          session: defined({ type: 'transcription' as const, audio: { input }, include: s.include }),
        };
      }
      case 'conversation.item.create':
        return { ...event, item: itemToGa(event.item) };
      case 'response.create':
        this.pendingResponseTemperature = event.response?.temperature;
        return {
          type: 'response.create',
          event_id: event.event_id,
          response: event.response && responseToGa(event.response),
        };
      default:
        return event;
    }
  }

  private session(s: SessionObject): object {
    const input = s.audio.input;
    if (s.type === 'transcription') {
      return {
        object: 'realtime.transcription_session',
        id: s.id,
        expires_at: s.expires_at,
        modalities: ['text'],
        input_audio_format: FORMAT_TO_BETA[input.format.type],
        input_audio_transcription: input.transcription,
        input_audio_noise_reduction: input.noise_reduction,
        turn_detection: input.turn_detection,
        include: s.include,
        client_secret: null,
      };
    }
    return {
      object: 'realtime.session',
      id: s.id,
      model: s.model,
      expires_at: s.expires_at,
      modalities: betaModalities(s.output_modalities),
      instructions: s.instructions,
      voice: s.audio.output.voice,
      input_audio_format: FORMAT_TO_BETA[input.format.type],
      output_audio_format: FORMAT_TO_BETA[s.audio.output.format.type],
      input_audio_transcription: input.transcription,
      input_audio_noise_reduction: input.noise_reduction,
      turn_detection: input.turn_detection,
      tools: s.tools,
      tool_choice: s.tool_choice,
      temperature: this.temperature,
      max_response_output_tokens: s.max_output_tokens,
      speed: s.audio.output.speed,
      tracing: s.tracing,
      prompt: s.prompt,
      include: s.include,
      client_secret: null,
    };
  }

  private response(r: ResponseObject): object {
    const { output_modalities, audio, ...rest } = r;
    return {
      ...rest,
      output: r.output.map(betaItem),
      modalities: betaModalities(output_modalities),
      voice: audio.output.voice,
      output_audio_format: FORMAT_TO_BETA[audio.output.format.type],
      temperature: this.responseTemperatures.get(r.id) ?? this.temperature,
    };
  }
}

/** GA field paths the session reports, and the beta fields the client actually sent. */
const BETA_PARAMS: [ga: string, beta: string][] = [
  ['session.audio.output.voice', 'session.voice'],
  ['session.audio.output.speed', 'session.speed'],
  ['session.audio.output.format', 'session.output_audio_format'],
  ['session.audio.input.format', 'session.input_audio_format'],
  ['session.audio.input.turn_detection', 'session.turn_detection'],
  ['session.audio.input.transcription', 'session.input_audio_transcription'],
  ['session.audio.input.noise_reduction', 'session.input_audio_noise_reduction'],
  ['session.output_modalities', 'session.modalities'],
  ['session.max_output_tokens', 'session.max_response_output_tokens'],
  ['response.output_modalities', 'response.modalities'],
  ['response.audio.output.voice', 'response.voice'],
  ['response.audio.output.format', 'response.output_audio_format'],
];

/** Renames a GA `param` to the beta field it came from; other params pass unchanged. */
export function betaParam(param: string): string {
  for (const [ga, beta] of BETA_PARAMS) {
    if (param === ga || param.startsWith(`${ga}.`) || param.startsWith(`${ga}[`))
      return beta + param.slice(ga.length);
  }
  return param;
}

function betaModalities(ga: readonly ('text' | 'audio')[]): ('text' | 'audio')[] {
  return ga.includes('audio') ? ['text', 'audio'] : ['text'];
}

function gaModalities(beta: readonly ('text' | 'audio')[]): ['text'] | ['audio'] {
  return beta.includes('audio') ? ['audio'] : ['text'];
}

/** GA item to beta: assistant parts are `text`/`audio` there. */
function betaItem<T>(item: T): T {
  const i = item as { type?: string; content?: { type: string }[] };
  if (i.type !== 'message' || !i.content) return item;
  return {
    ...item,
    content: i.content.map((p) =>
      p.type === 'output_text'
        ? { ...p, type: 'text' }
        : p.type === 'output_audio'
          ? { ...p, type: 'audio' }
          : p,
    ),
  } as T;
}

function itemToGa(item: BetaItemCreate): ItemCreate {
  if (item.type !== 'message') return item;
  return {
    ...item,
    content: item.content.map((p) =>
      p.type === 'text'
        ? { ...p, type: 'output_text' as const }
        : p.type === 'audio'
          ? { ...p, type: 'output_audio' as const }
          : p,
    ),
  };
}

function sessionToGa(s: BetaSessionUpdate): RealtimeSessionUpdate {
  const input = defined({
    format: s.input_audio_format && FORMAT_TO_GA[s.input_audio_format],
    transcription: s.input_audio_transcription,
    noise_reduction: s.input_audio_noise_reduction,
    turn_detection: s.turn_detection,
  });
  const output = defined({
    format: s.output_audio_format && FORMAT_TO_GA[s.output_audio_format],
    voice: s.voice,
    speed: s.speed,
  });
  const audio = defined({
    input: Object.keys(input).length ? input : undefined,
    output: Object.keys(output).length ? output : undefined,
  });
  return defined({
    type: 'realtime' as const,
    model: s.model,
    instructions: s.instructions,
    output_modalities: s.modalities && gaModalities(s.modalities),
    audio: Object.keys(audio).length ? audio : undefined,
    tools: s.tools,
    tool_choice: s.tool_choice,
    max_output_tokens: s.max_response_output_tokens,
    tracing: s.tracing,
    prompt: s.prompt,
    include: s.include,
  });
}

function responseToGa(r: BetaResponseParams): ResponseParams {
  const output = defined({
    format: r.output_audio_format && FORMAT_TO_GA[r.output_audio_format],
    voice: r.voice,
  });
  return defined({
    conversation: r.conversation,
    input: r.input?.map((i) => (i.type === 'item_reference' ? i : itemToGa(i))),
    instructions: r.instructions,
    output_modalities: r.modalities && gaModalities(r.modalities),
    audio: Object.keys(output).length ? { output } : undefined,
    metadata: r.metadata,
    tools: r.tools,
    tool_choice: r.tool_choice,
    max_output_tokens: r.max_response_output_tokens ?? r.max_output_tokens,
  });
}

/** Drops `undefined` fields so a partial update stays partial. */
function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}
