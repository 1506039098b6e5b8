/**
 * Session configuration: what a client may send in `session.update` (GA and beta), and the full
 * effective session object the server reports (shared/realtime-protocol.md sections 2.3 and 5.1).
 */
import { z } from 'zod';
import {
  AudioFormatSchema,
  BetaAudioFormatSchema,
  BetaModalitiesSchema,
  IncludeSchema,
  MaxOutputTokensSchema,
  NoiseReductionSchema,
  OutputModalitiesSchema,
  PromptSchema,
  ToolChoiceSchema,
  ToolSchema,
  TracingSchema,
  TranscriptionSchema,
  TruncationSchema,
  TurnDetectionSchema,
  VoiceSchema,
} from './common.js';

const AudioInputUpdateSchema = z.strictObject({
  format: AudioFormatSchema.optional(),
  transcription: TranscriptionSchema.nullable().optional(),
  noise_reduction: NoiseReductionSchema.nullable().optional(),
  turn_detection: TurnDetectionSchema.nullable().optional(),
});

/** GA `session.update.session` for a realtime (speech-to-speech) session. Every field but `type` is optional. */
export const RealtimeSessionUpdateSchema = z.strictObject({
  type: z.literal('realtime'),
  model: z.string().min(1).optional(),
  instructions: z.string().optional(),
  output_modalities: OutputModalitiesSchema.optional(),
  audio: z
    .strictObject({
      input: AudioInputUpdateSchema.optional(),
      output: z
        .strictObject({
          format: AudioFormatSchema.optional(),
          voice: VoiceSchema.optional(),
          speed: z.number().min(0.25).max(1.5).optional(),
        })
        .optional(),
    })
    .optional(),
  tools: z.array(ToolSchema).max(128).optional(),
  tool_choice: ToolChoiceSchema.optional(),
  max_output_tokens: MaxOutputTokensSchema.optional(),
  tracing: TracingSchema.nullable().optional(),
  truncation: TruncationSchema.optional(),
  prompt: PromptSchema.nullable().optional(),
  include: IncludeSchema.nullable().optional(),
  reasoning: z.record(z.string(), z.unknown()).nullable().optional(),
  parallel_tool_calls: z.boolean().optional(),
});
export type RealtimeSessionUpdate = z.infer<typeof RealtimeSessionUpdateSchema>;

/** GA `session.update.session` for a transcription-only session (`intent=transcription`). */
export const TranscriptionSessionUpdateSchema = z.strictObject({
  type: z.literal('transcription'),
  audio: z.strictObject({ input: AudioInputUpdateSchema.optional() }).optional(),
  include: IncludeSchema.nullable().optional(),
});
export type TranscriptionSessionUpdate = z.infer<typeof TranscriptionSessionUpdateSchema>;

/** Either GA session update shape, chosen by its required `type`. */
export const SessionUpdateSchema = z.discriminatedUnion('type', [
  RealtimeSessionUpdateSchema,
  TranscriptionSessionUpdateSchema,
]);
export type SessionUpdate = z.infer<typeof SessionUpdateSchema>;

/** Beta (flat) `session.update.session`. */
export const BetaSessionUpdateSchema = z.strictObject({
  model: z.string().min(1).optional(),
  modalities: BetaModalitiesSchema.optional(),
  instructions: z.string().optional(),
  voice: VoiceSchema.optional(),
  input_audio_format: BetaAudioFormatSchema.optional(),
  output_audio_format: BetaAudioFormatSchema.optional(),
  input_audio_transcription: TranscriptionSchema.nullable().optional(),
  input_audio_noise_reduction: NoiseReductionSchema.nullable().optional(),
  turn_detection: TurnDetectionSchema.nullable().optional(),
  tools: z.array(ToolSchema).max(128).optional(),
  tool_choice: ToolChoiceSchema.optional(),
  temperature: z.number().min(0.6).max(1.2).optional(),
  max_response_output_tokens: MaxOutputTokensSchema.optional(),
  speed: z.number().min(0.25).max(1.5).optional(),
  tracing: TracingSchema.nullable().optional(),
  prompt: PromptSchema.nullable().optional(),
  include: IncludeSchema.nullable().optional(),
});
export type BetaSessionUpdate = z.infer<typeof BetaSessionUpdateSchema>;

/** Beta `transcription_session.update.session`. */
export const BetaTranscriptionSessionUpdateSchema = z.strictObject({
  input_audio_format: BetaAudioFormatSchema.optional(),
  input_audio_transcription: TranscriptionSchema.nullable().optional(),
  input_audio_noise_reduction: NoiseReductionSchema.nullable().optional(),
  turn_detection: TurnDetectionSchema.nullable().optional(),
  include: IncludeSchema.nullable().optional(),
});

/** Effective turn detection, every field filled. */
export const EffectiveTurnDetectionSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('server_vad'),
    threshold: z.number(),
    prefix_padding_ms: z.number().int(),
    silence_duration_ms: z.number().int(),
    idle_timeout_ms: z.number().int().nullable(),
    create_response: z.boolean(),
    interrupt_response: z.boolean(),
  }),
  z.object({
    type: z.literal('semantic_vad'),
    eagerness: z.enum(['low', 'medium', 'high', 'auto']),
    create_response: z.boolean(),
    interrupt_response: z.boolean(),
  }),
]);
export type EffectiveTurnDetection = z.infer<typeof EffectiveTurnDetectionSchema>;

const EffectiveAudioInputSchema = z.object({
  format: AudioFormatSchema,
  transcription: TranscriptionSchema.nullable(),
  noise_reduction: NoiseReductionSchema.nullable(),
  turn_detection: EffectiveTurnDetectionSchema.nullable(),
});

/** The full GA session object of a realtime session (`session.created`, `session.updated`). */
export const RealtimeSessionObjectSchema = z.object({
  type: z.literal('realtime'),
  object: z.literal('realtime.session'),
  id: z.string(),
  model: z.string(),
  expires_at: z.number().int(),
  output_modalities: OutputModalitiesSchema,
  instructions: z.string(),
  tools: z.array(ToolSchema),
  tool_choice: ToolChoiceSchema,
  max_output_tokens: MaxOutputTokensSchema,
  tracing: TracingSchema.nullable(),
  truncation: TruncationSchema,
  prompt: PromptSchema.nullable(),
  include: IncludeSchema.nullable(),
  audio: z.object({
    input: EffectiveAudioInputSchema,
    output: z.object({ format: AudioFormatSchema, voice: VoiceSchema, speed: z.number() }),
  }),
});
export type RealtimeSessionObject = z.infer<typeof RealtimeSessionObjectSchema>;

/** The full GA session object of a transcription session. */
export const TranscriptionSessionObjectSchema = z.object({
  type: z.literal('transcription'),
  object: z.literal('realtime.transcription_session'),
  id: z.string(),
  expires_at: z.number().int(),
  include: IncludeSchema.nullable(),
  audio: z.object({ input: EffectiveAudioInputSchema }),
});
export type TranscriptionSessionObject = z.infer<typeof TranscriptionSessionObjectSchema>;

/** Either effective session object. */
export const SessionObjectSchema = z.discriminatedUnion('type', [
  RealtimeSessionObjectSchema,
  TranscriptionSessionObjectSchema,
]);
export type SessionObject = z.infer<typeof SessionObjectSchema>;

/** The beta (flat) session object. */
export const BetaSessionObjectSchema = z.object({
  object: z.literal('realtime.session'),
  id: z.string(),
  model: z.string(),
  expires_at: z.number().int(),
  modalities: BetaModalitiesSchema,
  instructions: z.string(),
  voice: VoiceSchema,
  input_audio_format: BetaAudioFormatSchema,
  output_audio_format: BetaAudioFormatSchema,
  input_audio_transcription: TranscriptionSchema.nullable(),
  input_audio_noise_reduction: NoiseReductionSchema.nullable(),
  turn_detection: EffectiveTurnDetectionSchema.nullable(),
  tools: z.array(ToolSchema),
  tool_choice: ToolChoiceSchema,
  temperature: z.number(),
  max_response_output_tokens: MaxOutputTokensSchema,
  speed: z.number(),
  tracing: TracingSchema.nullable(),
  prompt: PromptSchema.nullable(),
  include: IncludeSchema.nullable(),
  client_secret: z.null(),
});
export type BetaSessionObject = z.infer<typeof BetaSessionObjectSchema>;
