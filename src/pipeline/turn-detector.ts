/**
 * Turn detection with the Realtime `server_vad` semantics, as a pure synchronous state machine fed
 * VAD frames (shared/realtime-protocol.md 5.1). Times are on the timeline of the frames given.
 *
 * - Speech starts at a window scoring >= `threshold`, and is confirmed once it has lasted
 *   `minSpeechMs` without a window under the negative threshold (a click never reaches that).
 *   `speech_started.audioStartMs` is the first speech window's start minus `prefixPaddingMs`,
 *   floored at 0: what `input_audio_buffer.speech_started.audio_start_ms` reports.
 * - Inside speech, a window under the negative threshold (`threshold - 0.15`, the hysteresis of
 *   Silero's reference code) starts silence: `silence_started` (speculation may begin). A window
 *   at or over `threshold` before the silence is long enough gives `speech_resumed`; windows
 *   in between neither end nor extend the silence (as in Silero's `get_speech_timestamps`).
 * - Once silence lasts `silenceDurationMs`: `speech_stopped`. Its `audioEndMs` is the end of the
 *   window that decided it, so it includes the silence: OpenAI documents `audio_end_ms` as "the
 *   end of audio sent to the model, and thus includes the min_silence_duration_ms" (openai-node
 *   `InputAudioBufferSpeechStoppedEvent`). `speechEndMs` is where the speech itself ended.
 * - `semantic_vad` has two silence windows: `silenceDurationMs` once the STT has signalled the end
 *   of an utterance (`noteEndOfUtterance`), `maxSilenceMs` otherwise.
 */

/** The Realtime default `threshold`. */
export const DEFAULT_THRESHOLD = 0.5;
/** The Realtime default `prefix_padding_ms`; semantic_vad has no such field and uses it too. */
export const DEFAULT_PREFIX_PADDING_MS = 300;
/** The documented Realtime default `silence_duration_ms` (OpenAI's server reports 200). */
export const DEFAULT_SILENCE_DURATION_MS = 500;
/** The negative threshold sits this far under the positive one (Silero and ricky0123 reference code). */
export const NEGATIVE_THRESHOLD_OFFSET = 0.15;
/** Floor of the negative threshold, as Silero's reference: at 0 silence could never start. */
export const MIN_NEGATIVE_THRESHOLD = 0.01;
/**
 * Speech shorter than this is not a turn. A click, a tap or a knock scores high for one or two
 * 32 ms windows at most, while the shortest words ("no", "yes") last well over 150 ms; with
 * 32 ms windows this asks for three in a row (96 ms), which is also what speech_started waits.
 */
export const MIN_SPEECH_MS = 90;

/** semantic_vad eagerness. */
export type Eagerness = 'low' | 'medium' | 'high' | 'auto';

/**
 * semantic_vad eagerness as silence windows. `maxSilenceMs` is the longest wait OpenAI documents
 * (8/4/2 s), used while nothing says the utterance is complete. `silenceDurationMs` applies once
 * the STT signals the end of an utterance: `medium` is server_vad's documented 500 ms, `high`
 * answers as soon as a pause between sentences (300 ms, under which words of one phrase run
 * together), `low` leaves a full second to go on. `auto` is `medium`, as OpenAI says.
 */
export const EAGERNESS_SILENCE_MS: Readonly<
  Record<Eagerness, { silenceDurationMs: number; maxSilenceMs: number }>
> = {
  low: { silenceDurationMs: 1_000, maxSilenceMs: 8_000 },
  medium: { silenceDurationMs: 500, maxSilenceMs: 4_000 },
  high: { silenceDurationMs: 300, maxSilenceMs: 2_000 },
  auto: { silenceDurationMs: 500, maxSilenceMs: 4_000 },
};

/** What the detector needs; `turnDetectorConfigFor` builds it from a session's turn_detection. */
export interface TurnDetectorConfig {
  /** A window at or over this probability is speech. */
  threshold: number;
  /** A window under this probability is silence. */
  negativeThreshold: number;
  prefixPaddingMs: number;
  /** Silence that ends a turn (after an end-of-utterance signal, for semantic_vad). */
  silenceDurationMs: number;
  /** Silence that ends a turn with no end-of-utterance signal; equals silenceDurationMs for server_vad. */
  maxSilenceMs: number;
  minSpeechMs: number;
  /** Silence after `armIdleTimeout` that fires `idle_timeout`; null: never. */
  idleTimeoutMs: number | null;
}

/** The turn_detection shapes accepted: the session's effective object, or a client's partial one. */
export type TurnDetectionSettings =
  | {
      type: 'server_vad';
      threshold?: number;
      prefix_padding_ms?: number;
      silence_duration_ms?: number;
      idle_timeout_ms?: number | null;
    }
  | { type: 'semantic_vad'; eagerness?: Eagerness };

/** The detector config for a session's turn_detection (missing fields take the Realtime defaults). */
export function turnDetectorConfigFor(td: TurnDetectionSettings): TurnDetectorConfig {
  if (td.type === 'semantic_vad') {
    const e = EAGERNESS_SILENCE_MS[td.eagerness ?? 'auto'];
    return {
      threshold: DEFAULT_THRESHOLD,
      negativeThreshold: negativeThresholdFor(DEFAULT_THRESHOLD),
      prefixPaddingMs: DEFAULT_PREFIX_PADDING_MS,
      silenceDurationMs: e.silenceDurationMs,
      maxSilenceMs: e.maxSilenceMs,
      minSpeechMs: MIN_SPEECH_MS,
      idleTimeoutMs: null,
    };
  }
  const threshold = td.threshold ?? DEFAULT_THRESHOLD;
  const silence = td.silence_duration_ms ?? DEFAULT_SILENCE_DURATION_MS;
  return {
    threshold,
    negativeThreshold: negativeThresholdFor(threshold),
    prefixPaddingMs: td.prefix_padding_ms ?? DEFAULT_PREFIX_PADDING_MS,
    silenceDurationMs: silence,
    maxSilenceMs: silence,
    minSpeechMs: MIN_SPEECH_MS,
    idleTimeoutMs: td.idle_timeout_ms ?? null,
  };
}

/** The hysteresis threshold under which a window counts as silence. */
export function negativeThresholdFor(threshold: number): number {
  return Math.max(threshold - NEGATIVE_THRESHOLD_OFFSET, MIN_NEGATIVE_THRESHOLD);
}

/** One VAD window's verdict (the shape of `VadFrame`). */
export interface TurnFrame {
  startMs: number;
  endMs: number;
  probability: number;
}

/**
 * What the detector reports. `decidedAtMs` is the end of the window that produced the event:
 * how much audio the decision needed.
 */
export type TurnEvent =
  | { type: 'speech_started'; audioStartMs: number; speechStartMs: number; decidedAtMs: number }
  | { type: 'silence_started'; atMs: number; decidedAtMs: number }
  | { type: 'speech_resumed'; atMs: number; decidedAtMs: number }
  | { type: 'speech_stopped'; audioEndMs: number; speechEndMs: number; decidedAtMs: number }
  | { type: 'idle_timeout'; audioStartMs: number; audioEndMs: number; decidedAtMs: number };

type Phase =
  | { kind: 'idle' }
  | { kind: 'pending'; speechStartMs: number }
  | { kind: 'speaking' }
  | { kind: 'trailing'; silenceStartMs: number };

/** The turn-taking state machine of one input stream. */
export class TurnDetector {
  private phase: Phase = { kind: 'idle' };
  private endOfUtterance = false;
  private idleFromMs: number | null = null;

  constructor(readonly config: TurnDetectorConfig) {
    const c = config;
    if (!(c.threshold >= 0 && c.threshold <= 1) || !(c.negativeThreshold <= c.threshold))
      throw new RangeError('TurnDetector: need 0 <= negativeThreshold <= threshold <= 1');
    for (const [name, v] of [
      ['prefixPaddingMs', c.prefixPaddingMs],
      ['silenceDurationMs', c.silenceDurationMs],
      ['maxSilenceMs', c.maxSilenceMs],
      ['minSpeechMs', c.minSpeechMs],
    ] as const) {
      if (!(v >= 0)) throw new RangeError(`TurnDetector: ${name} must be >= 0, got ${v}`);
    }
    if (c.maxSilenceMs < c.silenceDurationMs)
      throw new RangeError('TurnDetector: maxSilenceMs must be >= silenceDurationMs');
  }

  /** True between speech_started and speech_stopped. */
  get inSpeech(): boolean {
    return this.phase.kind === 'speaking' || this.phase.kind === 'trailing';
  }

  /** Feeds one window (in timeline order); returns the events it caused, usually none. */
  push(frame: TurnFrame): TurnEvent[] {
    const { threshold, negativeThreshold } = this.config;
    const p = frame.probability;
    const speech = p >= threshold;
    const silence = p < negativeThreshold;
    const at = frame.endMs;
    const out: TurnEvent[] = [];
    const phase = this.phase;
    if (speech) this.endOfUtterance = false;
    switch (phase.kind) {
      case 'idle':
        if (speech) {
          this.phase = { kind: 'pending', speechStartMs: frame.startMs };
          this.confirm(frame, out);
        } else this.checkIdle(frame, out);
        break;
      case 'pending':
        if (silence) {
          // Too short to be a turn: a click. It also restarts nothing: the idle clock runs on.
          this.phase = { kind: 'idle' };
          this.checkIdle(frame, out);
        } else this.confirm(frame, out);
        break;
      case 'speaking':
        if (silence) {
          this.phase = { kind: 'trailing', silenceStartMs: frame.startMs };
          out.push({ type: 'silence_started', atMs: frame.startMs, decidedAtMs: at });
          this.checkSilence(frame, out);
        }
        break;
      case 'trailing':
        if (speech) {
          this.phase = { kind: 'speaking' };
          out.push({ type: 'speech_resumed', atMs: frame.startMs, decidedAtMs: at });
        } else this.checkSilence(frame, out);
        break;
    }
    return out;
  }

  /**
   * The earliest window end at which a turn could start or end (or the idle timeout fire), if the
   * windows from `fromMs` on, whose verdicts are not in yet, were the worst case: a window ending
   * earlier decides neither, so its verdict may come late. Only `silence_started` and
   * `speech_resumed` can come from such a window. `silence_started` starts a speculative
   * response and asks the STT for a final, a head start that server_vad's fixed silence hides
   * (measured: README, Capacity); semantic_vad's shorter silence applies only once that final is
   * in, so while speech goes on every window counts for it.
   */
  earliestDecisionMs(fromMs: number): number {
    const c = this.config;
    const idle =
      this.idleFromMs === null || c.idleTimeoutMs === null ? Infinity : this.idleFromMs + c.idleTimeoutMs;
    const phase = this.phase;
    switch (phase.kind) {
      case 'idle':
        return Math.min(fromMs + c.minSpeechMs, idle);
      case 'pending':
        return Math.min(phase.speechStartMs + c.minSpeechMs, idle);
      // The shorter silence applies once the STT hears the utterance end, which can be any time.
      case 'speaking':
        return c.silenceDurationMs < c.maxSilenceMs ? fromMs : fromMs + c.silenceDurationMs;
      case 'trailing':
        return phase.silenceStartMs + c.silenceDurationMs;
    }
  }

  /**
   * The STT says the utterance is complete (semantic_vad): the shorter silence window applies
   * until speech comes back. Call it on an `utterance_end`, or a final ending a sentence.
   */
  noteEndOfUtterance(): void {
    this.endOfUtterance = true;
  }

  /**
   * Starts the idle clock at `fromMs` (e.g. where the assistant's audio finished): if no turn has
   * started `idleTimeoutMs` later, `idle_timeout` fires once. No-op when idleTimeoutMs is null.
   */
  armIdleTimeout(fromMs: number): void {
    this.idleFromMs = this.config.idleTimeoutMs === null ? null : fromMs;
  }

  /** Stops the idle clock. */
  disarmIdleTimeout(): void {
    this.idleFromMs = null;
  }

  /** Back to no speech (e.g. after the input buffer was cleared or committed by hand). */
  reset(): void {
    this.phase = { kind: 'idle' };
    this.endOfUtterance = false;
  }

  private confirm(frame: TurnFrame, out: TurnEvent[]): void {
    const phase = this.phase;
    if (phase.kind !== 'pending' || frame.endMs - phase.speechStartMs < this.config.minSpeechMs) return;
    this.phase = { kind: 'speaking' };
    this.idleFromMs = null;
    out.push({
      type: 'speech_started',
      audioStartMs: Math.max(0, phase.speechStartMs - this.config.prefixPaddingMs),
      speechStartMs: phase.speechStartMs,
      decidedAtMs: frame.endMs,
    });
  }

  private checkSilence(frame: TurnFrame, out: TurnEvent[]): void {
    const phase = this.phase;
    if (phase.kind !== 'trailing') return;
    const needMs = this.endOfUtterance ? this.config.silenceDurationMs : this.config.maxSilenceMs;
    if (frame.endMs - phase.silenceStartMs < needMs) return;
    this.phase = { kind: 'idle' };
    this.endOfUtterance = false;
    out.push({
      type: 'speech_stopped',
      audioEndMs: frame.endMs,
      speechEndMs: phase.silenceStartMs,
      decidedAtMs: frame.endMs,
    });
  }

  private checkIdle(frame: TurnFrame, out: TurnEvent[]): void {
    const from = this.idleFromMs;
    const limit = this.config.idleTimeoutMs;
    if (from === null || limit === null || frame.endMs - from < limit) return;
    this.idleFromMs = null;
    out.push({ type: 'idle_timeout', audioStartMs: from, audioEndMs: frame.endMs, decidedAtMs: frame.endMs });
  }
}
