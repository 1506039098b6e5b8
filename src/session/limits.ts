/** Per-session limits: every buffer has one, each a named option with a documented default. */

/** Limits one session enforces. */
export interface SessionLimits {
  /** Largest event accepted; larger ones are answered with `message_too_large` and dropped. */
  maxMessageBytes: number;
  /** Uncommitted input audio; OpenAI caps one append at 15 MiB (about 5.5 min of PCM16 at 24 kHz). */
  maxInputAudioBufferMs: number;
  /** Items per conversation; retrieve and truncate keep audio, so memory grows with items. */
  maxConversationItems: number;
  /** Wall-clock life of a session; OpenAI's is 60 minutes. */
  maxSessionDurationMs: number;
  /** Client events queued before `session.created` is sent. */
  maxPendingEvents: number;
  /** Bytes the socket may hold unsent before the reader is judged too slow and closed. */
  maxOutboundBufferBytes: number;
  /** Unsent bytes at which a response stops pulling TTS audio until the socket drains to half. */
  outboundHighWaterBytes: number;
  /** No client event and no active response for this long ends the session; 0: never. */
  idleTimeoutMs: number;
  /** How long a response waits for the transcript of a just-committed audio item. */
  transcriptWaitMs: number;
  /** Audio bytes a conversation keeps for retrieve and truncate; past it the oldest items' audio goes. */
  maxRetainedAudioBytes: number;
  /** Responses running at once in one session (the default conversation's and out-of-band ones). */
  maxConcurrentResponses: number;
  /** The LLM's context window in tokens: session `truncation` keeps each request within it. */
  llmContextTokens: number;
}

/** Defaults of `SessionLimits`. */
export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  // OpenAI allows 15 MiB of audio per append, about 20 MiB as base64 JSON; keep room above it.
  maxMessageBytes: 24 * 1024 * 1024,
  maxInputAudioBufferMs: 5 * 60_000,
  maxConversationItems: 2_000,
  maxSessionDurationMs: 60 * 60_000,
  maxPendingEvents: 1_000,
  maxOutboundBufferBytes: 32 * 1024 * 1024,
  // About 15 s of 24 kHz PCM16 as base64 JSON: far ahead of any real-time playback, yet small
  // next to the hard limit, so a reader that falls behind pauses generation long before it is cut.
  outboundHighWaterBytes: 1024 * 1024,
  // A client that holds a session open while doing nothing for 10 minutes has most likely gone
  // (a lost tab, a leaked socket); talking, appending audio or waiting on a response all count.
  idleTimeoutMs: 10 * 60_000,
  transcriptWaitMs: 5_000,
  // About 5.8 minutes of 24 kHz PCM16: hundreds of sessions fit in a few GiB.
  maxRetainedAudioBytes: 16 * 1024 * 1024,
  // Each response holds an LLM and a TTS stream; out-of-band ones must not multiply without end.
  maxConcurrentResponses: 4,
  // About the 32k window OpenAI documents for its realtime models, so a Realtime client sees the
  // oldest items leave the model's view about where OpenAI's would. A fallback chain with a model
  // of a smaller window needs a smaller value.
  llmContextTokens: 32_768,
};
