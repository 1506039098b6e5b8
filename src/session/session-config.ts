/**
 * The effective session: defaults, and `session.update` applied as a partial merge with the
 * clearing rules of the protocol (`""` clears instructions, `[]` clears tools, `null` turns off
 * turn detection, transcription and noise reduction). An update is checked whole before anything
 * changes, so a rejected update changes nothing.
 */
import type {
  AudioFormat,
  EffectiveTurnDetection,
  ErrorCode,
  RealtimeSessionObject,
  SessionObject,
  SessionUpdate,
  Tool,
  ToolChoice,
  TranscriptionSessionObject,
  TurnDetectionInput,
} from '../../protocol/realtime/index.js';

/** What a fresh session starts with. */
export interface SessionDefaults {
  id: string;
  model: string;
  expiresAt: number;
  instructions: string;
  voice: string;
  turnDetection: 'server_vad' | null;
}

/** OpenAI's reported server VAD defaults (shared/realtime-protocol.md 5.1). */
const SERVER_VAD_DEFAULTS = {
  type: 'server_vad',
  threshold: 0.5,
  prefix_padding_ms: 300,
  silence_duration_ms: 200,
  idle_timeout_ms: null,
  create_response: true,
  interrupt_response: true,
} as const satisfies EffectiveTurnDetection;

const SEMANTIC_VAD_DEFAULTS = {
  type: 'semantic_vad',
  eagerness: 'auto',
  create_response: true,
  interrupt_response: true,
} as const satisfies EffectiveTurnDetection;

const PCM: AudioFormat = { type: 'audio/pcm', rate: 24_000 };

/** A realtime session with every field at its default. */
export function defaultRealtimeSession(d: SessionDefaults): RealtimeSessionObject {
  return {
    type: 'realtime',
    object: 'realtime.session',
    id: d.id,
    model: d.model,
    expires_at: d.expiresAt,
    output_modalities: ['audio'],
    instructions: d.instructions,
    tools: [],
    tool_choice: 'auto',
    max_output_tokens: 'inf',
    tracing: null,
    truncation: 'auto',
    prompt: null,
    include: null,
    audio: {
      input: {
        format: PCM,
        transcription: null,
        noise_reduction: null,
        turn_detection: d.turnDetection ? { ...SERVER_VAD_DEFAULTS } : null,
      },
      output: { format: PCM, voice: d.voice, speed: 1 },
    },
  };
}

/** A transcription session with every field at its default. */
export function defaultTranscriptionSession(d: SessionDefaults): TranscriptionSessionObject {
  const realtime = defaultRealtimeSession(d);
  return {
    type: 'transcription',
    object: 'realtime.transcription_session',
    id: d.id,
    expires_at: d.expiresAt,
    include: null,
    audio: { input: { ...realtime.audio.input, transcription: { model: 'default' } } },
  };
}

/** A rejected update: the code, the offending field and a message. */
export interface UpdateError {
  code: ErrorCode;
  param: string;
  message: string;
}

/** Context the checks need beyond the session itself. */
export interface UpdateContext {
  /** The session has sent output audio, so its voice is fixed. */
  audioSent: boolean;
  /** The session started without a model in its URL, so the first update may name one. */
  modelOpen: boolean;
}

/** Applies an update to a copy of the session, or says why it is refused. */
export function applySessionUpdate(
  current: SessionObject,
  update: SessionUpdate,
  ctx: UpdateContext,
): { ok: true; session: SessionObject } | { ok: false; error: UpdateError } {
  if (update.type !== current.type) {
    return refuse(
      'cannot_change_session_type',
      'session.type',
      `This is a ${current.type} session; session.type cannot become '${update.type}'.`,
    );
  }
  const input = update.audio?.input;
  const nextInput = { ...current.audio.input };
  if (input?.format) nextInput.format = normalizeFormat(input.format);
  if (input?.transcription !== undefined) nextInput.transcription = input.transcription;
  if (input?.noise_reduction !== undefined) nextInput.noise_reduction = input.noise_reduction;
  if (input?.turn_detection !== undefined) {
    nextInput.turn_detection = mergeTurnDetection(current.audio.input.turn_detection, input.turn_detection);
  }
  if (current.type === 'transcription' || update.type === 'transcription') {
    const next = { ...(current as TranscriptionSessionObject), audio: { input: nextInput } };
    if (update.include !== undefined) next.include = update.include;
    return { ok: true, session: next };
  }

  if (update.model !== undefined && update.model !== current.model && !ctx.modelOpen) {
    return refuse(
      'cannot_update_model',
      'session.model',
      `The session's model is '${current.model}' and cannot be changed.`,
    );
  }
  const output = update.audio?.output;
  if (output?.voice !== undefined && ctx.audioSent && !sameVoice(output.voice, current.audio.output.voice)) {
    return refuse(
      'cannot_update_voice',
      'session.audio.output.voice',
      'Cannot update a session voice after the model has produced audio.',
    );
  }
  const tools = update.tools ?? current.tools;
  const toolChoice = update.tool_choice ?? current.tool_choice;
  const toolError = checkTools(tools, toolChoice, 'session');
  if (toolError) return { ok: false, error: toolError };

  const next: RealtimeSessionObject = {
    ...current,
    tools,
    tool_choice: toolChoice,
    audio: {
      input: nextInput,
      output: {
        format: output?.format ? normalizeFormat(output.format) : current.audio.output.format,
        voice: output?.voice ?? current.audio.output.voice,
        speed: output?.speed ?? current.audio.output.speed,
      },
    },
  };
  if (update.model !== undefined) next.model = update.model;
  if (update.instructions !== undefined) next.instructions = update.instructions;
  if (update.output_modalities !== undefined) next.output_modalities = update.output_modalities;
  if (update.max_output_tokens !== undefined) next.max_output_tokens = update.max_output_tokens;
  if (update.tracing !== undefined) next.tracing = update.tracing;
  if (update.truncation !== undefined) next.truncation = update.truncation;
  if (update.prompt !== undefined) next.prompt = update.prompt;
  if (update.include !== undefined) next.include = update.include;
  return { ok: true, session: next };
}

/** Refuses MCP tools and a `tool_choice` naming a function that is not offered. */
export function checkTools(
  tools: readonly Tool[],
  toolChoice: ToolChoice,
  prefix: string,
): UpdateError | null {
  const mcp = tools.findIndex((t) => t.type !== 'function');
  if (mcp >= 0) {
    return {
      code: 'unsupported_tool_type',
      param: `${prefix}.tools[${mcp}].type`,
      message:
        'MCP tools are not supported by this gateway; declare function tools and run them in the client.',
    };
  }
  if (typeof toolChoice === 'object') {
    if (toolChoice.type === 'mcp') {
      return {
        code: 'unsupported_tool_type',
        param: `${prefix}.tool_choice.type`,
        message: 'MCP tool_choice is not supported by this gateway.',
      };
    }
    if (!tools.some((t) => t.type === 'function' && t.name === toolChoice.name)) {
      return {
        code: 'invalid_tool_choice',
        param: `${prefix}.tool_choice.name`,
        message: `tool_choice names '${toolChoice.name}', which is not among the tools.`,
      };
    }
  }
  return null;
}

/** The `rate` of PCM is implied; the session always reports it. */
export function normalizeFormat(format: AudioFormat): AudioFormat {
  return format.type === 'audio/pcm' ? { type: 'audio/pcm', rate: 24_000 } : { type: format.type };
}

function mergeTurnDetection(
  current: EffectiveTurnDetection | null,
  update: TurnDetectionInput | null,
): EffectiveTurnDetection | null {
  if (update === null) return null;
  const base =
    current && current.type === update.type
      ? current
      : update.type === 'server_vad'
        ? SERVER_VAD_DEFAULTS
        : SEMANTIC_VAD_DEFAULTS;
  const fields = Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined));
  return { ...base, ...fields } as EffectiveTurnDetection;
}

function sameVoice(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function refuse(code: ErrorCode, param: string, message: string): { ok: false; error: UpdateError } {
  return { ok: false, error: { code, param, message } };
}
