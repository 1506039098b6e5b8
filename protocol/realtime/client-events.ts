/**
 * Client events (client -> server), one schema per event, GA and beta
 * (shared/realtime-protocol.md section 3). Event names are the same in both dialects; shapes differ
 * in the session, item and response parameters.
 */
import { z } from 'zod';
import {
  AudioFormatSchema,
  intIn,
  BetaAudioFormatSchema,
  BetaModalitiesSchema,
  MaxOutputTokensSchema,
  MetadataSchema,
  OutputModalitiesSchema,
  PromptSchema,
  ToolChoiceSchema,
  ToolSchema,
  VoiceSchema,
} from './common.js';
import {
  BetaItemCreateSchema,
  BetaResponseInputItemSchema,
  ItemCreateSchema,
  ResponseInputItemSchema,
} from './items.js';
import {
  BetaSessionUpdateSchema,
  BetaTranscriptionSessionUpdateSchema,
  SessionUpdateSchema,
} from './session.js';

/** Longest client `event_id`; parse.ts's append fast path holds to it too. */
export const MAX_EVENT_ID_LENGTH = 512;
const eventId = z.string().max(MAX_EVENT_ID_LENGTH).optional();
const itemId = z.string().min(1).max(256);

/** GA `response.create.response`. */
export const ResponseParamsSchema = z.strictObject({
  conversation: z.enum(['auto', 'none']).optional(),
  input: z.array(ResponseInputItemSchema).max(1024).optional(),
  instructions: z.string().optional(),
  output_modalities: OutputModalitiesSchema.optional(),
  audio: z
    .strictObject({
      output: z
        .strictObject({ format: AudioFormatSchema.optional(), voice: VoiceSchema.optional() })
        .optional(),
    })
    .optional(),
  metadata: MetadataSchema.nullable().optional(),
  tools: z.array(ToolSchema).max(128).optional(),
  tool_choice: ToolChoiceSchema.optional(),
  max_output_tokens: MaxOutputTokensSchema.optional(),
  prompt: PromptSchema.nullable().optional(),
  reasoning: z.record(z.string(), z.unknown()).nullable().optional(),
  parallel_tool_calls: z.boolean().optional(),
});
export type ResponseParams = z.infer<typeof ResponseParamsSchema>;

/** Beta `response.create.response`. */
export const BetaResponseParamsSchema = z.strictObject({
  conversation: z.enum(['auto', 'none']).optional(),
  input: z.array(BetaResponseInputItemSchema).max(1024).optional(),
  instructions: z.string().optional(),
  modalities: BetaModalitiesSchema.optional(),
  voice: VoiceSchema.optional(),
  output_audio_format: BetaAudioFormatSchema.optional(),
  metadata: MetadataSchema.nullable().optional(),
  tools: z.array(ToolSchema).max(128).optional(),
  tool_choice: ToolChoiceSchema.optional(),
  temperature: z.number().min(0.6).max(1.2).optional(),
  max_response_output_tokens: MaxOutputTokensSchema.optional(),
  max_output_tokens: MaxOutputTokensSchema.optional(),
});
export type BetaResponseParams = z.infer<typeof BetaResponseParamsSchema>;

function event<T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.strictObject({ type: z.literal(type), event_id: eventId, ...shape });
}

const appendAudio = { audio: z.string() };
const itemRef = { item_id: itemId };
const truncate = {
  item_id: itemId,
  content_index: intIn(0),
  audio_end_ms: intIn(0),
};

/** Client events whose shape is the same in both dialects. */
const commonEvents = {
  'input_audio_buffer.append': event('input_audio_buffer.append', appendAudio),
  'input_audio_buffer.commit': event('input_audio_buffer.commit', {}),
  'input_audio_buffer.clear': event('input_audio_buffer.clear', {}),
  'conversation.item.retrieve': event('conversation.item.retrieve', itemRef),
  'conversation.item.delete': event('conversation.item.delete', itemRef),
  'conversation.item.truncate': event('conversation.item.truncate', truncate),
  'response.cancel': event('response.cancel', { response_id: z.string().optional() }),
  'output_audio_buffer.clear': event('output_audio_buffer.clear', { response_id: z.string().optional() }),
} as const;

/** GA client events by type. */
export const CLIENT_EVENT_SCHEMAS = {
  'session.update': event('session.update', { session: SessionUpdateSchema }),
  ...commonEvents,
  'conversation.item.create': event('conversation.item.create', {
    previous_item_id: z.string().nullable().optional(),
    item: ItemCreateSchema,
  }),
  'response.create': event('response.create', { response: ResponseParamsSchema.optional() }),
  // Translation sessions only (new); parsed so the answer can name the event rather than "unknown".
  'session.input_audio_buffer.append': event('session.input_audio_buffer.append', appendAudio),
  'session.close': event('session.close', {}),
} as const;

/** Beta client events by type. */
export const BETA_CLIENT_EVENT_SCHEMAS = {
  'session.update': event('session.update', { session: BetaSessionUpdateSchema }),
  'transcription_session.update': event('transcription_session.update', {
    session: BetaTranscriptionSessionUpdateSchema,
  }),
  ...commonEvents,
  'conversation.item.create': event('conversation.item.create', {
    previous_item_id: z.string().nullable().optional(),
    item: BetaItemCreateSchema,
  }),
  'response.create': event('response.create', { response: BetaResponseParamsSchema.optional() }),
} as const;

type GaSchemas = typeof CLIENT_EVENT_SCHEMAS;
type BetaSchemas = typeof BETA_CLIENT_EVENT_SCHEMAS;
/** Any GA client event. */
export type ClientEvent = { [K in keyof GaSchemas]: z.infer<GaSchemas[K]> }[keyof GaSchemas];
/** Any beta client event. */
export type BetaClientEvent = { [K in keyof BetaSchemas]: z.infer<BetaSchemas[K]> }[keyof BetaSchemas];
/** A GA client event of one type. */
export type ClientEventOf<T extends ClientEvent['type']> = Extract<ClientEvent, { type: T }>;
/** The names of GA client events. */
export type ClientEventType = ClientEvent['type'];

/** GA client event union (for consumers that want one schema). */
type GaSchema = GaSchemas[keyof GaSchemas];
export const ClientEventSchema = z.discriminatedUnion(
  'type',
  Object.values(CLIENT_EVENT_SCHEMAS) as [GaSchema, ...GaSchema[]],
);
