/**
 * Cartesia's TTS WebSocket messages as the emulator reads and writes them
 * (https://docs.cartesia.ai/api-reference/tts/websocket; shared/providers.md sections 3.3 and 3.4).
 */
import { z } from 'zod';

/** Output encodings Cartesia's raw WebSocket output offers. */
export const CARTESIA_ENCODINGS = ['pcm_s16le', 'pcm_f32le', 'pcm_mulaw', 'pcm_alaw'] as const;
/** Output rates Cartesia offers, in Hz. */
export const CARTESIA_SAMPLE_RATES = [8000, 16000, 22050, 24000, 44100, 48000] as const;

/** A Cartesia output encoding. */
export type CartesiaEncoding = (typeof CARTESIA_ENCODINGS)[number];

const voiceSchema = z.union([
  z.string().min(1),
  z.looseObject({ id: z.string().min(1), mode: z.literal('id').optional() }),
]);

const outputFormatSchema = z.object({
  container: z.literal('raw'),
  encoding: z.enum(CARTESIA_ENCODINGS),
  sample_rate: z.literal(CARTESIA_SAMPLE_RATES),
});

/** A generation request: one input of a context. Unknown fields are tolerated, as the service does. */
export const generationRequestSchema = z.looseObject({
  context_id: z.string().min(1).max(256),
  model_id: z.string().min(1),
  transcript: z.string(),
  voice: voiceSchema,
  output_format: outputFormatSchema,
  language: z.string().min(2).nullish(),
  continue: z.boolean().nullish(),
  flush: z.boolean().nullish(),
  add_timestamps: z.boolean().nullish(),
  max_buffer_delay_ms: z.number().min(0).max(5000).nullish(),
  generation_config: z
    .looseObject({
      speed: z.number().min(0.6).max(1.5).nullish(),
      volume: z.number().min(0.5).max(2).nullish(),
      emotion: z.string().nullish(),
    })
    .nullish(),
});

/** A validated generation request. */
export type GenerationRequest = z.infer<typeof generationRequestSchema>;

/** A cancel request. */
export const cancelRequestSchema = z.object({ context_id: z.string().min(1), cancel: z.literal(true) });

/** The fields every input of one context must repeat unchanged. */
export function fixedFieldsOf(req: GenerationRequest): string {
  return JSON.stringify([req.model_id, req.voice, req.output_format, req.language ?? null]);
}

/** Server messages. */
export type CartesiaServerMessage =
  | {
      type: 'chunk';
      data: string;
      done: false;
      status_code: 206;
      step_time: number;
      context_id: string;
      flush_id: number;
    }
  | {
      type: 'timestamps';
      done: false;
      status_code: 206;
      context_id: string;
      flush_id: number;
      word_timestamps: { words: string[]; start: number[]; end: number[] };
    }
  | {
      type: 'flush_done';
      done: false;
      flush_done: true;
      flush_id: number;
      status_code: 206;
      context_id: string;
    }
  | { type: 'done'; done: true; status_code: 206; context_id: string }
  | {
      type: 'error';
      done: true;
      title: string;
      message: string;
      error_code: string;
      status_code: number;
      context_id?: string;
      request_id: string;
    };

/** An in-band error message, shaped as Cartesia's. */
export function errorMessage(
  contextId: string | undefined,
  status: number,
  errorCode: string,
  title: string,
  message: string,
  requestId: string,
): CartesiaServerMessage {
  return {
    type: 'error',
    done: true,
    title,
    message,
    error_code: errorCode,
    status_code: status,
    ...(contextId === undefined ? {} : { context_id: contextId }),
    request_id: requestId,
  };
}
