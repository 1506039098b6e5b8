/** Per-session limits: every buffer has one, each a named option with a documented default. */

/** Limits one session enforces. */
export interface SessionLimits {
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
  /** How long a response waits for the transcript of a just-committed audio item. */
  transcriptWaitMs: number;
}

/** Defaults of `SessionLimits`. */
export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxInputAudioBufferMs: 5 * 60_000,
  maxConversationItems: 2_000,
  maxSessionDurationMs: 60 * 60_000,
  maxPendingEvents: 1_000,
  maxOutboundBufferBytes: 32 * 1024 * 1024,
  transcriptWaitMs: 5_000,
};
