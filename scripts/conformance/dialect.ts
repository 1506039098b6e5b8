/**
 * The two Realtime dialects as the kit sees them on the wire: beta event names mapped to their GA
 * names (so the rules are written once), the names that belong to only one dialect, and builders
 * for the few client events whose shape differs (shared/realtime-protocol.md 2.2 to 2.4). The kit
 * keeps its own table instead of importing the gateway's codec, so a codec bug cannot hide itself.
 */

/** A Realtime dialect. */
export type Dialect = 'ga' | 'beta';

/** Beta server event names and the GA names they correspond to. */
const BETA_TO_GA: Record<string, string> = {
  'response.text.delta': 'response.output_text.delta',
  'response.text.done': 'response.output_text.done',
  'response.audio.delta': 'response.output_audio.delta',
  'response.audio.done': 'response.output_audio.done',
  'response.audio_transcript.delta': 'response.output_audio_transcript.delta',
  'response.audio_transcript.done': 'response.output_audio_transcript.done',
  'conversation.item.created': 'conversation.item.added',
  'transcription_session.created': 'session.created',
  'transcription_session.updated': 'session.updated',
};

/** Server event names a connection of this dialect must never receive. */
export const FOREIGN_NAMES: Record<Dialect, ReadonlySet<string>> = {
  // The beta names of renamed events. (GA SDK types still list conversation.item.created.)
  ga: new Set(Object.keys(BETA_TO_GA).filter((n) => n !== 'conversation.item.created')),
  beta: new Set([
    ...Object.values(BETA_TO_GA).filter((n) => !n.startsWith('session.') && n !== 'conversation.item.added'),
    'conversation.item.added',
    'conversation.item.done',
    'input_audio_buffer.timeout_triggered',
  ]),
};

/** The GA name of a received event type (beta names mapped, others unchanged). */
export function gaName(type: string, dialect: Dialect): string {
  return dialect === 'beta' ? (BETA_TO_GA[type] ?? type) : type;
}

/** Session settings a scenario asks for, independent of dialect. */
export interface SessionSettings {
  instructions?: string;
  voice?: string;
  /** `text` or `audio` output. */
  output?: 'text' | 'audio';
  /** Input and output audio format. */
  format?: 'pcm' | 'pcmu';
  /** `null` turns turn detection off. */
  turnDetection?: Record<string, unknown> | null;
  transcription?: { model: string } | null;
  tools?: object[];
  toolChoice?: unknown;
  maxOutputTokens?: number | 'inf';
  /** GA only (beta has no such field). */
  truncation?: unknown;
}

const GA_FORMAT = { pcm: { type: 'audio/pcm', rate: 24_000 }, pcmu: { type: 'audio/pcmu' } } as const;
const BETA_FORMAT = { pcm: 'pcm16', pcmu: 'g711_ulaw' } as const;

/** A `session.update` event in the dialect's shape. */
export function sessionUpdate(dialect: Dialect, s: SessionSettings): Record<string, unknown> {
  if (dialect === 'beta') {
    const session: Record<string, unknown> = {};
    if (s.instructions !== undefined) session.instructions = s.instructions;
    if (s.voice !== undefined) session.voice = s.voice;
    if (s.output !== undefined) session.modalities = s.output === 'text' ? ['text'] : ['text', 'audio'];
    if (s.format !== undefined) {
      session.input_audio_format = BETA_FORMAT[s.format];
      session.output_audio_format = BETA_FORMAT[s.format];
    }
    if (s.turnDetection !== undefined) session.turn_detection = s.turnDetection;
    if (s.transcription !== undefined) session.input_audio_transcription = s.transcription;
    if (s.tools !== undefined) session.tools = s.tools;
    if (s.toolChoice !== undefined) session.tool_choice = s.toolChoice;
    if (s.maxOutputTokens !== undefined) session.max_response_output_tokens = s.maxOutputTokens;
    return { type: 'session.update', session };
  }
  const input: Record<string, unknown> = {};
  const output: Record<string, unknown> = {};
  if (s.format !== undefined) {
    input.format = GA_FORMAT[s.format];
    output.format = GA_FORMAT[s.format];
  }
  if (s.turnDetection !== undefined) input.turn_detection = s.turnDetection;
  if (s.transcription !== undefined) input.transcription = s.transcription;
  if (s.voice !== undefined) output.voice = s.voice;
  const session: Record<string, unknown> = { type: 'realtime' };
  if (s.instructions !== undefined) session.instructions = s.instructions;
  if (s.output !== undefined) session.output_modalities = [s.output];
  if (Object.keys(input).length || Object.keys(output).length) {
    session.audio = {
      ...(Object.keys(input).length ? { input } : {}),
      ...(Object.keys(output).length ? { output } : {}),
    };
  }
  if (s.tools !== undefined) session.tools = s.tools;
  if (s.toolChoice !== undefined) session.tool_choice = s.toolChoice;
  if (s.maxOutputTokens !== undefined) session.max_output_tokens = s.maxOutputTokens;
  if (s.truncation !== undefined) session.truncation = s.truncation;
  return { type: 'session.update', session };
}

/** Response parameters a scenario asks for, independent of dialect. */
export interface ResponseSettings {
  output?: 'text' | 'audio';
  conversation?: 'auto' | 'none';
  input?: object[];
  metadata?: Record<string, string>;
  instructions?: string;
  toolChoice?: unknown;
}

/** A `response.create` event in the dialect's shape. */
export function responseCreate(dialect: Dialect, r: ResponseSettings = {}): Record<string, unknown> {
  const response: Record<string, unknown> = {};
  if (r.output !== undefined) {
    if (dialect === 'beta') response.modalities = r.output === 'text' ? ['text'] : ['text', 'audio'];
    else response.output_modalities = [r.output];
  }
  if (r.conversation !== undefined) response.conversation = r.conversation;
  if (r.input !== undefined) response.input = r.input;
  if (r.metadata !== undefined) response.metadata = r.metadata;
  if (r.instructions !== undefined) response.instructions = r.instructions;
  if (r.toolChoice !== undefined) response.tool_choice = r.toolChoice;
  return Object.keys(response).length ? { type: 'response.create', response } : { type: 'response.create' };
}

/** A user text message item. */
export function userText(text: string, id?: string): Record<string, unknown> {
  return {
    type: 'message',
    role: 'user',
    ...(id ? { id } : {}),
    content: [{ type: 'input_text', text }],
  };
}

/** The audio format a session reports, from a session object of either dialect. */
export function sessionOutputFormat(dialect: Dialect, session: Record<string, unknown>): unknown {
  if (dialect === 'beta') return session.output_audio_format;
  const audio = session.audio as { output?: { format?: { type?: unknown } } } | undefined;
  return audio?.output?.format?.type;
}
