/**
 * Conversation items and content parts (shared/realtime-protocol.md section 5.2): what a client may
 * create, and the shape the server reports.
 */
import { z } from 'zod';
import { ClientIdSchema } from './common.js';

const ItemStatusSchema = z.enum(['completed', 'incomplete', 'in_progress']);
export type ItemStatus = z.infer<typeof ItemStatusSchema>;

/** Content parts a client may put in a message it creates (GA). */
export const InputTextPartSchema = z.strictObject({ type: z.literal('input_text'), text: z.string() });
export const InputAudioPartSchema = z.strictObject({
  type: z.literal('input_audio'),
  audio: z.string().optional(),
  transcript: z.string().nullable().optional(),
});
export const InputImagePartSchema = z.strictObject({
  type: z.literal('input_image'),
  image_url: z.string(),
  detail: z.enum(['auto', 'low', 'high']).optional(),
});
export const OutputTextPartSchema = z.strictObject({ type: z.literal('output_text'), text: z.string() });
export const OutputAudioPartSchema = z.strictObject({
  type: z.literal('output_audio'),
  audio: z.string().optional(),
  transcript: z.string().nullable().optional(),
});
/** Beta names for assistant parts (`text`, `audio`). */
export const BetaTextPartSchema = z.strictObject({ type: z.literal('text'), text: z.string() });
export const BetaAudioPartSchema = z.strictObject({
  type: z.literal('audio'),
  audio: z.string().optional(),
  transcript: z.string().nullable().optional(),
});

const ContentPartSchema = z.discriminatedUnion('type', [
  InputTextPartSchema,
  InputAudioPartSchema,
  InputImagePartSchema,
  OutputTextPartSchema,
  OutputAudioPartSchema,
]);
const BetaContentPartSchema = z.discriminatedUnion('type', [
  InputTextPartSchema,
  InputAudioPartSchema,
  BetaTextPartSchema,
  BetaAudioPartSchema,
]);

const itemBase = {
  id: ClientIdSchema.optional(),
  object: z.literal('realtime.item').optional(),
  status: ItemStatusSchema.optional(),
};

function messageSchema<P extends z.ZodType>(part: P) {
  return z.strictObject({
    ...itemBase,
    type: z.literal('message'),
    role: z.enum(['user', 'assistant', 'system']),
    content: z.array(part).max(64),
  });
}

/** A function call item (the model asked for a tool). */
export const FunctionCallItemSchema = z.strictObject({
  ...itemBase,
  type: z.literal('function_call'),
  call_id: z.string().min(1).max(256),
  name: z.string().min(1).max(64),
  arguments: z.string(),
});

/** The result of a tool call, sent by the client. */
export const FunctionCallOutputItemSchema = z.strictObject({
  ...itemBase,
  type: z.literal('function_call_output'),
  call_id: z.string().min(1).max(256),
  output: z.string(),
});

/** GA item as a client may create it in `conversation.item.create`. */
export const ItemCreateSchema = z.discriminatedUnion('type', [
  messageSchema(ContentPartSchema),
  FunctionCallItemSchema,
  FunctionCallOutputItemSchema,
]);
export type ItemCreate = z.infer<typeof ItemCreateSchema>;

/** Beta item as a client may create it. */
export const BetaItemCreateSchema = z.discriminatedUnion('type', [
  messageSchema(BetaContentPartSchema),
  FunctionCallItemSchema,
  FunctionCallOutputItemSchema.omit({ status: true }),
]);
export type BetaItemCreate = z.infer<typeof BetaItemCreateSchema>;

/** A reference to an existing item, allowed only in `response.create.response.input`. */
export const ItemReferenceSchema = z.strictObject({
  type: z.literal('item_reference'),
  id: z.string().min(1),
});

/** GA items of `response.create.response.input`. */
export const ResponseInputItemSchema = z.discriminatedUnion('type', [
  messageSchema(ContentPartSchema),
  FunctionCallItemSchema,
  FunctionCallOutputItemSchema,
  ItemReferenceSchema,
]);
/** Beta items of `response.create.response.input`. */
export const BetaResponseInputItemSchema = z.discriminatedUnion('type', [
  messageSchema(BetaContentPartSchema),
  FunctionCallItemSchema,
  FunctionCallOutputItemSchema.omit({ status: true }),
  ItemReferenceSchema,
]);

/** A content part of an item as the server reports it (GA). */
export type ContentPart =
  | { type: 'input_text'; text: string }
  | { type: 'input_audio'; audio?: string; transcript: string | null }
  | { type: 'input_image'; image_url: string; detail?: 'auto' | 'low' | 'high' }
  | { type: 'output_text'; text: string }
  | { type: 'output_audio'; audio?: string; transcript: string | null };

/** A message item as the server reports it (GA). */
export interface MessageItem {
  id: string;
  object: 'realtime.item';
  type: 'message';
  status: ItemStatus;
  role: 'user' | 'assistant' | 'system';
  content: ContentPart[];
}
/** A function call item as the server reports it. */
export interface FunctionCallItem {
  id: string;
  object: 'realtime.item';
  type: 'function_call';
  status: ItemStatus;
  call_id: string;
  name: string;
  arguments: string;
}
/** A function call output item as the server reports it. */
export interface FunctionCallOutputItem {
  id: string;
  object: 'realtime.item';
  type: 'function_call_output';
  status: ItemStatus;
  call_id: string;
  output: string;
}
/** Any item as the server reports it (GA). */
export type Item = MessageItem | FunctionCallItem | FunctionCallOutputItem;

/** Server-reported item schema, used to check what the gateway emits. */
export const ItemSchema = z.discriminatedUnion('type', [
  z.object({
    id: z.string(),
    object: z.literal('realtime.item'),
    type: z.literal('message'),
    status: ItemStatusSchema,
    role: z.enum(['user', 'assistant', 'system']),
    content: z.array(
      z.discriminatedUnion('type', [
        z.object({ type: z.literal('input_text'), text: z.string() }),
        z.object({
          type: z.literal('input_audio'),
          audio: z.string().optional(),
          transcript: z.string().nullable(),
        }),
        z.object({ type: z.literal('input_image'), image_url: z.string() }),
        z.object({ type: z.literal('output_text'), text: z.string() }),
        z.object({
          type: z.literal('output_audio'),
          audio: z.string().optional(),
          transcript: z.string().nullable(),
        }),
      ]),
    ),
  }),
  z.object({
    id: z.string(),
    object: z.literal('realtime.item'),
    type: z.literal('function_call'),
    status: ItemStatusSchema,
    call_id: z.string(),
    name: z.string(),
    arguments: z.string(),
  }),
  z.object({
    id: z.string(),
    object: z.literal('realtime.item'),
    type: z.literal('function_call_output'),
    status: ItemStatusSchema,
    call_id: z.string(),
    output: z.string(),
  }),
]);
