/**
 * Stage contracts: VAD, STT, LLM and TTS as narrow interfaces. Each stage takes an async iterable
 * (or a request) and an AbortSignal and returns an async iterable. An aborted stage returns
 * quietly: the abort is not an error. Provider quirks stay in `providers/<name>/`.
 */

/** Encodings a stage may speak on the wire. */
export type AudioEncoding = 'pcm16' | 'mulaw' | 'alaw';

/** The audio a stage consumes or produces. */
export interface AudioSpec {
  encoding: AudioEncoding;
  sampleRate: number;
}

/** One VAD window's verdict. */
export interface VadFrame {
  /** Start of the window on the session's input timeline. */
  startMs: number;
  endMs: number;
  /** Speech probability, 0 to 1. */
  probability: number;
}

/** One model run of a batching VAD, as it reports it once answered (metrics). */
export interface VadRun {
  sampleRate: number;
  /** Windows in the run, all steps together. */
  windows: number;
  /** From the run's oldest window being queued for the model to the run's answer, in ms. */
  queuedMs: number;
}

/**
 * Voice activity detection over a stream of PCM16 frames at one of `sampleRates`. The frames are
 * the stage's once read (it may keep one rather than copy it): do not write to them afterwards.
 */
export interface VadStage {
  readonly label: string;
  readonly sampleRates: readonly number[];
  detect(
    frames: AsyncIterable<Int16Array>,
    opts: VadDetectOptions,
    signal: AbortSignal,
  ): AsyncIterable<VadFrame>;
}

/** How one VAD stream runs. */
export interface VadDetectOptions {
  sampleRate: number;
  /**
   * Asked as each window goes to the model, with where that window ends on the stream's timeline:
   * false when its verdict cannot start or end a turn, so a batching VAD may hold it longer to
   * share a model run. Without it every window is urgent.
   */
  urgent?: (windowEndMs: number) => boolean;
}

/** Options of one transcription stream. */
export interface SttOptions {
  audio: AudioSpec;
  /** BCP-47 code, or `multi` for language detection. */
  language?: string;
  /** Vocabulary hint. */
  prompt?: string;
}

/** What a transcription stream reports. */
export type SttEvent =
  | { type: 'interim'; text: string }
  | { type: 'final'; text: string; language?: string }
  | { type: 'utterance_end' };

/**
 * Put into an STT audio stream to ask for a final on what was heard so far (speculative turn
 * start); the stream goes on. Compared by identity.
 */
export const STT_FLUSH: Uint8Array = new Uint8Array(0);

/** Streaming speech-to-text: audio in, transcript events out, until the audio iterable ends. */
export interface SttStage {
  readonly label: string;
  transcribe(
    audio: AsyncIterable<Uint8Array>,
    opts: SttOptions,
    signal: AbortSignal,
  ): AsyncIterable<SttEvent>;
}

/** A function tool offered to the LLM. */
export interface LlmTool {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

/** A tool call the LLM made earlier in the conversation. */
export interface LlmToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** One message of LLM context. */
export type LlmMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: LlmToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string };

/** One LLM generation. */
export interface LlmRequest {
  instructions: string;
  messages: LlmMessage[];
  tools: LlmTool[];
  toolChoice: 'auto' | 'none' | 'required' | { name: string };
  /** `null`: no limit beyond the provider's. */
  maxOutputTokens: number | null;
}

/** Token counts of one generation. */
export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
}

/** What an LLM stream reports. Tool call deltas of one call share `index`; the first carries `id` and `name`. */
export type LlmEvent =
  | { type: 'text'; delta: string }
  | { type: 'tool_call'; index: number; id?: string; name?: string; argumentsDelta: string }
  | { type: 'done'; finishReason: 'stop' | 'length' | 'tool_calls'; usage: LlmUsage | null };

/** Streaming chat completion. */
export interface LlmStage {
  readonly label: string;
  generate(request: LlmRequest, signal: AbortSignal): AsyncIterable<LlmEvent>;
}

/** A word's place in synthesized audio, relative to the start of that synthesis stream. */
export interface WordTiming {
  word: string;
  startMs: number;
  endMs: number;
}

/** A piece of synthesized audio, already in the requested encoding and rate. */
export interface TtsChunk {
  audio: Uint8Array;
  words?: WordTiming[];
}

/** Options of one synthesis stream. */
export interface TtsOptions {
  audio: AudioSpec;
  /** Provider voice id (already mapped from OpenAI voice names). */
  voice: string;
  language?: string;
  /** 1 is normal. */
  speed: number;
}

/** Streaming text-to-speech: text pieces in (sentence by sentence), audio chunks out. */
export interface TtsStage {
  readonly label: string;
  synthesize(text: AsyncIterable<string>, opts: TtsOptions, signal: AbortSignal): AsyncIterable<TtsChunk>;
}

/** The stages one session uses. */
export interface Stages {
  llm: LlmStage;
  tts: TtsStage;
  stt: SttStage;
  /** Server-side turn detection; without it, sessions with `turn_detection` set are told so. */
  vad?: VadStage;
  /** Releases what the stages hold for the session (sockets); called once when it ends. */
  close?(): void;
}
