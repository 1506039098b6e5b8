/**
 * Server events (server -> client), GA names, one schema per event (shared/realtime-protocol.md
 * section 4). The gateway builds these; tests check every emitted event against them. Beta names
 * are produced by `dialect.ts`.
 */
import { z } from 'zod';
import { AudioFormatSchema, MaxOutputTokensSchema, UsageSchema, VoiceSchema } from './common.js';
import { ItemSchema } from './items.js';
import { SessionObjectSchema } from './session.js';

const base = { event_id: z.string().regex(/^event_[A-Za-z0-9]{21}$/) };
const ids = {
  response_id: z.string(),
  item_id: z.string(),
  output_index: z.number().int(),
  content_index: z.number().int(),
};

function event<T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.object({ type: z.literal(type), ...base, ...shape });
}

/** `error.error`. */
export const ErrorBodySchema = z.object({
  type: z.string(),
  code: z.string().nullable(),
  message: z.string(),
  param: z.string().nullable(),
  event_id: z.string().nullable(),
});

const StatusDetailsSchema = z
  .object({
    type: z.enum(['completed', 'cancelled', 'incomplete', 'failed']),
    reason: z.enum(['turn_detected', 'client_cancelled', 'max_output_tokens', 'content_filter']).optional(),
    error: z.object({ type: z.string(), code: z.string().nullable() }).optional(),
  })
  .nullable();

/** The GA response object (`response.created`, `response.done`). */
export const ResponseObjectSchema = z.object({
  object: z.literal('realtime.response'),
  id: z.string(),
  status: z.enum(['in_progress', 'completed', 'cancelled', 'failed', 'incomplete']),
  status_details: StatusDetailsSchema,
  output: z.array(ItemSchema),
  conversation_id: z.string().nullable(),
  output_modalities: z.array(z.enum(['text', 'audio'])),
  max_output_tokens: MaxOutputTokensSchema,
  audio: z.object({ output: z.object({ format: AudioFormatSchema, voice: VoiceSchema }) }),
  usage: UsageSchema.nullable(),
  metadata: z.record(z.string(), z.string()).nullable(),
});
export type ResponseObject = z.infer<typeof ResponseObjectSchema>;
export type ResponseStatusDetails = z.infer<typeof StatusDetailsSchema>;

const TextPart = z.object({ type: z.literal('text'), text: z.string() });
const AudioPart = z.object({ type: z.literal('audio'), transcript: z.string() });
const PartSchema = z.discriminatedUnion('type', [TextPart, AudioPart]);

/** GA server events by type. */
export const SERVER_EVENT_SCHEMAS = {
  error: event('error', { error: ErrorBodySchema }),
  'session.created': event('session.created', { session: SessionObjectSchema }),
  'session.updated': event('session.updated', { session: SessionObjectSchema }),
  'conversation.item.added': event('conversation.item.added', {
    previous_item_id: z.string().nullable(),
    item: ItemSchema,
  }),
  'conversation.item.done': event('conversation.item.done', {
    previous_item_id: z.string().nullable(),
    item: ItemSchema,
  }),
  'conversation.item.retrieved': event('conversation.item.retrieved', { item: ItemSchema }),
  'conversation.item.truncated': event('conversation.item.truncated', {
    item_id: z.string(),
    content_index: z.number().int(),
    audio_end_ms: z.number().int(),
  }),
  'conversation.item.deleted': event('conversation.item.deleted', { item_id: z.string() }),
  'conversation.item.input_audio_transcription.delta': event(
    'conversation.item.input_audio_transcription.delta',
    {
      item_id: z.string(),
      content_index: z.number().int(),
      delta: z.string(),
    },
  ),
  'conversation.item.input_audio_transcription.completed': event(
    'conversation.item.input_audio_transcription.completed',
    {
      item_id: z.string(),
      content_index: z.number().int(),
      transcript: z.string(),
      usage: z.union([
        z.object({ type: z.literal('duration'), seconds: z.number() }),
        z.object({
          type: z.literal('tokens'),
          input_tokens: z.number().int(),
          output_tokens: z.number().int(),
          total_tokens: z.number().int(),
          input_token_details: z.object({ text_tokens: z.number().int(), audio_tokens: z.number().int() }),
        }),
      ]),
    },
  ),
  'conversation.item.input_audio_transcription.failed': event(
    'conversation.item.input_audio_transcription.failed',
    {
      item_id: z.string(),
      content_index: z.number().int(),
      error: z.object({
        type: z.string(),
        code: z.string().nullable(),
        message: z.string(),
        param: z.string().nullable(),
      }),
    },
  ),
  'input_audio_buffer.speech_started': event('input_audio_buffer.speech_started', {
    item_id: z.string(),
    audio_start_ms: z.number().int(),
  }),
  'input_audio_buffer.speech_stopped': event('input_audio_buffer.speech_stopped', {
    item_id: z.string(),
    audio_end_ms: z.number().int(),
  }),
  'input_audio_buffer.committed': event('input_audio_buffer.committed', {
    item_id: z.string(),
    previous_item_id: z.string().nullable(),
  }),
  'input_audio_buffer.cleared': event('input_audio_buffer.cleared', {}),
  'input_audio_buffer.timeout_triggered': event('input_audio_buffer.timeout_triggered', {
    item_id: z.string(),
    audio_start_ms: z.number().int(),
    audio_end_ms: z.number().int(),
  }),
  'response.created': event('response.created', { response: ResponseObjectSchema }),
  'response.done': event('response.done', { response: ResponseObjectSchema }),
  'response.output_item.added': event('response.output_item.added', {
    response_id: z.string(),
    output_index: z.number().int(),
    item: ItemSchema,
  }),
  'response.output_item.done': event('response.output_item.done', {
    response_id: z.string(),
    output_index: z.number().int(),
    item: ItemSchema,
  }),
  'response.content_part.added': event('response.content_part.added', { ...ids, part: PartSchema }),
  'response.content_part.done': event('response.content_part.done', { ...ids, part: PartSchema }),
  'response.output_text.delta': event('response.output_text.delta', { ...ids, delta: z.string() }),
  'response.output_text.done': event('response.output_text.done', { ...ids, text: z.string() }),
  'response.output_audio.delta': event('response.output_audio.delta', { ...ids, delta: z.string() }),
  'response.output_audio.done': event('response.output_audio.done', ids),
  'response.output_audio_transcript.delta': event('response.output_audio_transcript.delta', {
    ...ids,
    delta: z.string(),
  }),
  'response.output_audio_transcript.done': event('response.output_audio_transcript.done', {
    ...ids,
    transcript: z.string(),
  }),
  'response.function_call_arguments.delta': event('response.function_call_arguments.delta', {
    response_id: z.string(),
    item_id: z.string(),
    output_index: z.number().int(),
    call_id: z.string(),
    delta: z.string(),
  }),
  'response.function_call_arguments.done': event('response.function_call_arguments.done', {
    response_id: z.string(),
    item_id: z.string(),
    output_index: z.number().int(),
    call_id: z.string(),
    name: z.string(),
    arguments: z.string(),
  }),
  'rate_limits.updated': event('rate_limits.updated', {
    rate_limits: z.array(
      z.object({
        name: z.enum(['requests', 'tokens']),
        limit: z.number(),
        remaining: z.number(),
        reset_seconds: z.number(),
      }),
    ),
  }),
} as const;

type Schemas = typeof SERVER_EVENT_SCHEMAS;
/** Any GA server event. */
export type ServerEvent = { [K in keyof Schemas]: z.infer<Schemas[K]> }[keyof Schemas];
/** The names of GA server events. */
export type ServerEventType = ServerEvent['type'];
/** A server event of one type. */
export type ServerEventOf<T extends ServerEventType> = Extract<ServerEvent, { type: T }>;
/** A server event before the writer stamps its `event_id`. */
export type OutgoingEvent = ServerEvent extends infer E
  ? E extends ServerEvent
    ? Omit<E, 'event_id'>
    : never
  : never;

type Schema = Schemas[keyof Schemas];
/** GA server event union. */
export const ServerEventSchema = z.discriminatedUnion(
  'type',
  Object.values(SERVER_EVENT_SCHEMAS) as [Schema, ...Schema[]],
);

/** Beta server event names that differ from GA (shared/realtime-protocol.md 2.2). */
export const BETA_EVENT_NAMES: Partial<Record<ServerEventType, string>> = {
  'response.output_text.delta': 'response.text.delta',
  'response.output_text.done': 'response.text.done',
  'response.output_audio.delta': 'response.audio.delta',
  'response.output_audio.done': 'response.audio.done',
  'response.output_audio_transcript.delta': 'response.audio_transcript.delta',
  'response.output_audio_transcript.done': 'response.audio_transcript.done',
  'conversation.item.added': 'conversation.item.created',
};
