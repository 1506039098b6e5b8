/**
 * Building blocks shared by the session, item and event schemas of the Realtime protocol.
 * Field names and ranges follow shared/realtime-protocol.md sections 2.3, 3 and 5.1.
 */
import { z } from 'zod';

/**
 * Marks range issues of integer fields: zod reports the same issue for `int().max()` and `max()`,
 * and OpenAI names them differently (`integer_above_max_value` vs `decimal_above_max_value`).
 */
export const INTEGER_RANGE = 'integer out of range';

/** An integer field of the client events, with an inclusive range. */
export function intIn(min: number, max: number = Number.MAX_SAFE_INTEGER) {
  return z.number().int().min(min, { error: INTEGER_RANGE }).max(max, { error: INTEGER_RANGE });
}

/** An id the client may choose; the server keeps it verbatim. */
export const ClientIdSchema = z.string().min(1).max(256);

/** PCM16 is 24 kHz only on this protocol; other rates are refused the way OpenAI refuses them. */
export const PCM_RATE_HZ = 24_000;

/** GA audio format object (`audio.input.format`, `audio.output.format`). */
export const AudioFormatSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('audio/pcm'),
    rate: intIn(PCM_RATE_HZ, PCM_RATE_HZ).optional(),
  }),
  z.strictObject({ type: z.literal('audio/pcmu') }),
  z.strictObject({ type: z.literal('audio/pcma') }),
]);
export type AudioFormat = z.infer<typeof AudioFormatSchema>;
export type AudioFormatType = AudioFormat['type'];

/** Beta audio format names. */
export const BetaAudioFormatSchema = z.enum(['pcm16', 'g711_ulaw', 'g711_alaw']);
export type BetaAudioFormat = z.infer<typeof BetaAudioFormatSchema>;

/** A voice: an OpenAI voice name, a provider voice id, or `{id}`. */
export const VoiceSchema = z.union([
  z.string().min(1).max(256),
  z.strictObject({ id: z.string().min(1).max(256) }),
]);
export type Voice = z.infer<typeof VoiceSchema>;

/** `output_modalities`: GA allows exactly one; audio implies a transcript. */
export const OutputModalitiesSchema = z
  .array(z.enum(['text', 'audio']))
  .min(1)
  .max(1);

/** Beta `modalities`: text alone, or text with audio. */
export const BetaModalitiesSchema = z
  .array(z.enum(['text', 'audio']))
  .min(1)
  .max(2);

/** A function tool. MCP tools are refused at the session layer with a clear error. */
export const FunctionToolSchema = z.strictObject({
  type: z.literal('function'),
  name: z.string().min(1).max(64),
  description: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});
export const McpToolSchema = z.looseObject({ type: z.literal('mcp'), server_label: z.string() });
export const ToolSchema = z.discriminatedUnion('type', [FunctionToolSchema, McpToolSchema]);
export type Tool = z.infer<typeof ToolSchema>;
export type FunctionTool = z.infer<typeof FunctionToolSchema>;

/** `tool_choice`. */
export const ToolChoiceSchema = z.union([
  z.enum(['auto', 'none', 'required']),
  z.strictObject({ type: z.literal('function'), name: z.string().min(1) }),
  z.strictObject({ type: z.literal('mcp'), server_label: z.string(), name: z.string().optional() }),
]);
export type ToolChoice = z.infer<typeof ToolChoiceSchema>;

/** `max_output_tokens` (beta `max_response_output_tokens`). */
export const MaxOutputTokensSchema = z.union([intIn(1, 4096), z.literal('inf')]);
export type MaxOutputTokens = z.infer<typeof MaxOutputTokensSchema>;

/** Server VAD turn detection; every field optional on the wire, defaults filled by the session. */
export const ServerVadSchema = z.strictObject({
  type: z.literal('server_vad'),
  threshold: z.number().min(0).max(1).optional(),
  prefix_padding_ms: intIn(0, 10_000).optional(),
  silence_duration_ms: intIn(0, 10_000).optional(),
  idle_timeout_ms: intIn(0, 3_600_000).nullable().optional(),
  create_response: z.boolean().optional(),
  interrupt_response: z.boolean().optional(),
});

/** Semantic VAD turn detection. */
export const SemanticVadSchema = z.strictObject({
  type: z.literal('semantic_vad'),
  eagerness: z.enum(['low', 'medium', 'high', 'auto']).optional(),
  create_response: z.boolean().optional(),
  interrupt_response: z.boolean().optional(),
});
export const TurnDetectionSchema = z.discriminatedUnion('type', [ServerVadSchema, SemanticVadSchema]);
export type TurnDetectionInput = z.infer<typeof TurnDetectionSchema>;

/** Input transcription settings. */
export const TranscriptionSchema = z.strictObject({
  model: z.string().min(1).optional(),
  language: z.string().min(1).max(32).optional(),
  prompt: z.string().optional(),
  delay: z.string().optional(),
  keywords: z.array(z.string()).optional(),
  languages: z.array(z.string()).optional(),
});
export type Transcription = z.infer<typeof TranscriptionSchema>;

/** Input noise reduction settings. */
export const NoiseReductionSchema = z.strictObject({ type: z.enum(['near_field', 'far_field']) });

/** `tracing`: accepted and echoed; this gateway sends no traces anywhere. */
export const TracingSchema = z.union([
  z.literal('auto'),
  z.strictObject({
    workflow_name: z.string().optional(),
    group_id: z.string().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  }),
]);

/** `truncation`: which items the LLM sees once the conversation outgrows the model's context. */
export const TruncationSchema = z.union([
  z.enum(['auto', 'disabled']),
  z.strictObject({
    type: z.literal('retention_ratio'),
    retention_ratio: z.number().min(0).max(1),
    token_limits: z.strictObject({ post_instructions: intIn(0).optional() }).optional(),
  }),
]);

/** `prompt` (stored prompt reference): accepted and echoed, not resolved (no prompt store here). */
export const PromptSchema = z.strictObject({
  id: z.string(),
  version: z.string().optional(),
  variables: z.record(z.string(), z.unknown()).optional(),
});

/** `include`. */
export const IncludeSchema = z.array(z.enum(['item.input_audio_transcription.logprobs']));

/** Response `metadata`: at most 16 string pairs. */
export const MetadataSchema = z
  .record(z.string().max(64), z.string().max(512))
  .refine((m) => Object.keys(m).length <= 16, { message: 'metadata may hold at most 16 keys' });

/** Token usage as reported on `response.done`. */
export const UsageSchema = z.object({
  total_tokens: z.number().int(),
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  input_token_details: z.object({
    text_tokens: z.number().int(),
    audio_tokens: z.number().int(),
    image_tokens: z.number().int().optional(),
    cached_tokens: z.number().int(),
    cached_tokens_details: z
      .object({
        text_tokens: z.number().int(),
        audio_tokens: z.number().int(),
        image_tokens: z.number().int(),
      })
      .optional(),
  }),
  output_token_details: z.object({ text_tokens: z.number().int(), audio_tokens: z.number().int() }),
});
export type Usage = z.infer<typeof UsageSchema>;
