/**
 * Server turn detection for one session: runs the VAD on appended audio, opens a turn at speech
 * start (streaming its audio to the STT as it comes), starts the response speculatively when
 * silence begins, and commits the turn and releases or starts its response when the VAD decides
 * the user has finished. Idle timeouts prompt a silent user.
 */
import { errorBody } from '../../protocol/realtime/index.js';
import type { EffectiveTurnDetection, ResponseParams, SessionObject } from '../../protocol/realtime/index.js';
import { DEFAULT_PREFIX_PADDING_MS, turnDetectorConfigFor } from '../pipeline/turn-detector.js';
import { STT_FLUSH } from '../providers/types.js';
import type { Stages } from '../providers/types.js';
import { Channel, ChannelFullError } from '../util/channel.js';
import { newId } from '../util/ids.js';
import type { Conversation, Entry } from './conversation.js';
import type { EventWriter } from './event-writer.js';
import type { InputAudioBuffer } from './input-audio-buffer.js';
import { userAudioEntry } from './item-input.js';
import type { SessionLog } from './realtime-session.js';
import type { ResponseRun } from './response-run.js';
import { ServerVad } from './server-vad.js';
import { AppendClock } from './append-clock.js';
import { transcribeItem } from './transcriber.js';
import { turnLatency } from './turn-latency.js';
import type { TurnLatency } from './turn-latency.js';

/**
 * How far behind the appended audio the VAD's speech-start decision may come (minimum speech
 * length, batching, the resampler's lookahead): idle audio this recent is kept for the turn.
 */
const VAD_DECISION_SLACK_MS = 2_000;
/** Audio chunks queued for a turn's streaming transcription (about 10 s of 20 ms appends). */
const MAX_TURN_STT_CHUNKS = 500;

/** A turn server VAD is hearing. */
interface Turn {
  entry: Entry;
  startMs: number;
  stt: Channel<Uint8Array>;
  announced: () => void;
  /** The transcript so far (finals joined). */
  soFar: string;
  /** A response started when silence began, held until the turn is confirmed. */
  speculation: ResponseRun | null;
  /** Called on the first final after a flush. */
  flushAnswered?: () => void;
  flushAnsweredAt?: number;
}

/**
 * How long a speculative response waits for the STT's answer to a flush before going with the
 * words heard so far (Deepgram answers a Finalize in about 150 ms).
 */
const SPECULATION_FINAL_WAIT_MS = 400;

/** Appends remembered for latency measurement (at least 20 s of 20 ms appends). */
const MAX_APPEND_TIMES = 1_000;

/** What server-VAD turns need of their session. */
export interface TurnHost {
  readonly id: string;
  /** The effective session now (it changes with session.update). */
  session(): SessionObject;
  closed(): boolean;
  readonly input: InputAudioBuffer;
  readonly writer: EventWriter;
  readonly conversation: Conversation;
  readonly stages: Stages;
  /** Aborted when the session closes. */
  readonly signal: AbortSignal;
  readonly speculativeTurnStart: boolean;
  readonly log: SessionLog;
  /** Inserts a user audio item and announces it; false (with an error sent) when it does not fit. */
  commitEntry(entry: Entry, audio: readonly Uint8Array[], eventId: string | undefined): boolean;
  /** Starts a response, held back when speculative; undefined when refused (an error was sent). */
  createResponse(
    params: ResponseParams,
    eventId: string | undefined,
    speculative?: { context: () => Promise<readonly Entry[]> },
  ): ResponseRun | undefined;
  /** The running response of the default conversation, if any. */
  activeDefault(): ResponseRun | undefined;
  /** A confirmed speculative response joins the session's active responses. */
  activate(run: ResponseRun): void;
  /** How to tell this turn's latency once its response is done. */
  measure(run: ResponseRun, latency: () => TurnLatency): void;
  /** The user spoke over an answer with audio: how long from their first word to the answer stopping. */
  bargeIn(stopMs: number): void;
}

/** Server VAD and the turns it hears, for one session. */
export class VadTurns {
  private vad: ServerVad | null = null;
  /** Identifies the turn detection the running VAD was built for. */
  private vadKey: string | null = null;
  /** The turn server VAD is hearing now. */
  private turn: Turn | null = null;
  private vadWarned = false;
  /** When recent appends arrived (timeline end, wall clock): where a turn's speech ended in real time. */
  private readonly appendTimes = new AppendClock(MAX_APPEND_TIMES);

  constructor(private readonly h: TurnHost) {}

  /**
   * Audio appended to the input buffer: fed to the VAD and to the turn's STT; between turns only
   * what a coming turn may claim is kept.
   */
  append(bytes: Uint8Array, eventId: string | undefined): void {
    const turnDetection = this.h.session().audio.input.turn_detection;
    if (!turnDetection) return;
    if (!this.vad) {
      if (!this.vadWarned) {
        // No VAD stage in this build: say so once rather than stay silent.
        this.vadWarned = true;
        this.h.writer.refuse('turn_detection_unavailable', eventId, 'session.audio.input.turn_detection');
      }
      return;
    }
    this.vad.push(bytes);
    this.appendTimes.push(this.h.input.endMs, performance.now());
    if (this.turn) this.turn.stt.push(bytes);
    // Between turns only the audio a coming turn may claim is kept: its prefix padding, plus how
    // far behind the VAD's decisions may run.
    else this.h.input.dropBefore(this.h.input.endMs - prefixPaddingOf(turnDetection) - VAD_DECISION_SLACK_MS);
  }

  /** Stops the VAD and drops any turn in progress (the session closed). */
  close(): void {
    this.vad?.close();
    this.endTurn();
  }

  /** Starts, restarts or stops server VAD to match the session's turn detection and input format. */
  sync(): void {
    const td = this.h.session().audio.input.turn_detection;
    const vadStage = this.h.stages.vad;
    const key = td && vadStage ? JSON.stringify([td, this.h.session().audio.input.format.type]) : null;
    if (key === this.vadKey) return;
    this.vad?.close();
    this.vad = null;
    this.endTurn();
    this.vadKey = key;
    if (!td || !vadStage) return;
    this.vad = new ServerVad(
      vadStage,
      this.h.session().audio.input.format.type,
      turnDetectorConfigFor(td),
      this.h.input.endMs,
      {
        speechStarted: (ms, speechMs) => this.onSpeechStarted(ms, speechMs),
        silenceStarted: (ms) => this.onSilenceStarted(ms),
        speechResumed: () => this.onSpeechResumed(),
        speechStopped: (ms, speechEndMs) => this.onSpeechStopped(ms, speechEndMs),
        idleTimeout: (startMs, endMs) => this.onIdleTimeout(startMs, endMs),
        failed: (err) => {
          if (err instanceof ChannelFullError) {
            // The VAD fell seconds behind real time (a starved CPU): start again from the audio
            // arriving now, dropping the turn in progress, rather than stop detecting for good.
            this.h.log('warn', 'turn detection fell behind; restarted', { sessionId: this.h.id });
            this.vadKey = null;
            this.sync();
            return;
          }
          this.h.log('error', 'turn detection failed', { sessionId: this.h.id, error: String(err) });
          this.vad = null;
          this.vadKey = null;
          this.h.writer.error(
            errorBody('server_error', {
              message: 'Server turn detection failed; commit the input audio buffer yourself.',
              param: 'session.audio.input.turn_detection',
            }),
          );
        },
      },
    );
    // The idle clock runs from the start: a user who never speaks is prompted too.
    this.vad.armIdle(this.h.input.endMs);
  }

  private onSpeechStarted(audioStartMs: number, speechMs: number): void {
    if (this.turn || this.h.closed()) return;
    const td = this.h.session().audio.input.turn_detection;
    const entry = userAudioEntry(newId('item'));
    let announced!: () => void;
    const ready = new Promise<void>((resolve) => (announced = resolve));
    const stt = new Channel<Uint8Array>(MAX_TURN_STT_CHUNKS);
    const turn: Turn = { entry, startMs: audioStartMs, stt, announced, soFar: '', speculation: null };
    this.turn = turn;
    this.h.writer.emit({
      type: 'input_audio_buffer.speech_started',
      item_id: entry.item.id,
      audio_start_ms: Math.round(audioStartMs),
    });
    const interrupted = td?.interrupt_response ? this.h.activeDefault() : undefined;
    if (interrupted) {
      // Barge-in: from when the user's words began (the appended audio's wall time, past the
      // prefix padding) to the answer being stopped, which is now.
      const speechAt = this.appendTimes.arrivalOf(speechMs);
      const hadAudio = interrupted.timings.firstAudioAt !== undefined;
      interrupted.cancel('turn_detected');
      if (hadAudio && speechAt !== undefined) this.h.bargeIn(performance.now() - speechAt);
    }
    // Transcription starts with the turn: the audio so far (prefix padding included), then the
    // rest as it is appended, so the transcript is nearly ready when the turn ends.
    stt.push(this.h.input.copyFrom(audioStartMs));
    entry.extras.transcriptReady = transcribeItem({
      entry,
      audio: stt,
      announced: ready,
      onEndOfUtterance: () => this.vad?.noteEndOfUtterance(),
      onFinal: (soFar) => {
        turn.soFar = soFar;
        turn.flushAnswered?.();
      },
      format: this.h.session().audio.input.format,
      transcription: this.h.session().audio.input.transcription,
      stt: this.h.stages.stt,
      writer: this.h.writer,
      signal: this.h.signal,
      log: (msg, fields) => this.h.log('warn', msg, { sessionId: this.h.id, ...fields }),
    });
  }

  private onSpeechStopped(audioEndMs: number, speechEndMs: number): void {
    const turn = this.turn;
    if (!turn || this.h.closed()) return;
    this.turn = null;
    const decidedAt = performance.now();
    const speechEndAt = this.appendTimes.arrivalOf(speechEndMs) ?? decidedAt;
    turn.stt.close();
    this.h.writer.emit({
      type: 'input_audio_buffer.speech_stopped',
      item_id: turn.entry.item.id,
      audio_end_ms: Math.round(audioEndMs),
    });
    const audio = this.h.input.takeRange(turn.startMs, audioEndMs);
    if (!this.h.commitEntry(turn.entry, [audio], undefined)) return;
    turn.announced();
    const td = this.h.session().audio.input.turn_detection;
    const speculation = turn.speculation;
    turn.speculation = null;
    // A speculative response that already finished is released whole; only a failed one is redone.
    if (speculation && speculation.outcome !== 'failed' && !this.h.activeDefault()) {
      // The turn is confirmed: what the speculative response produced goes out now, in order.
      this.h.activate(speculation);
      const flushedAt = turn.flushAnsweredAt ?? decidedAt;
      this.h.measure(speculation, () =>
        turnLatency(speechEndAt, decidedAt, flushedAt, speculation.timings, true),
      );
      speculation.release();
      return;
    }
    speculation?.discard();
    if (!td?.create_response || this.h.session().type !== 'realtime' || this.h.activeDefault()) return;
    let transcriptAt = decidedAt;
    void turn.entry.extras.transcriptReady?.then(() => (transcriptAt = performance.now()));
    const run = this.h.createResponse({}, undefined);
    if (run) this.h.measure(run, () => turnLatency(speechEndAt, decidedAt, transcriptAt, run.timings));
  }

  /**
   * Silence began inside a turn: ask the STT for a final now and start the response held back,
   * so the LLM and TTS work while the VAD waits to confirm the turn.
   */
  private onSilenceStarted(_atMs: number): void {
    const turn = this.turn;
    const td = this.h.session().audio.input.turn_detection;
    if (!turn || turn.speculation || this.h.closed() || !this.h.speculativeTurnStart) return;
    if (!td?.create_response || this.h.session().type !== 'realtime' || this.h.activeDefault()) return;
    // A refusal (a full conversation) must be told at the turn's end, by the normal path.
    if (!this.h.conversation.hasRoom()) return;
    const flushed = new Promise<void>((resolve) => {
      turn.flushAnswered = () => {
        turn.flushAnsweredAt ??= performance.now();
        resolve();
      };
    });
    turn.stt.push(STT_FLUSH);
    const before = [...this.h.conversation.entries()];
    const pending = turn.entry;
    turn.speculation =
      this.h.createResponse({}, undefined, {
        context: async () => {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            flushed,
            new Promise<void>((r) => (timer = setTimeout(r, SPECULATION_FINAL_WAIT_MS))),
          ]);
          clearTimeout(timer);
          // The user's words so far stand in for the item's transcript, which ends with the turn.
          const heard: Entry = { item: pending.item, extras: { ...pending.extras, transcript: turn.soFar } };
          delete heard.extras.transcriptReady;
          return [...before, heard];
        },
      }) ?? null;
  }

  /** The user spoke again before the turn was confirmed: the speculative response is dropped. */
  private onSpeechResumed(): void {
    const turn = this.turn;
    if (!turn?.speculation) return;
    turn.speculation.discard();
    turn.speculation = null;
    turn.flushAnswered = undefined;
    turn.flushAnsweredAt = undefined;
  }

  /** `idle_timeout_ms` passed with no speech: commit what was heard and let the model speak. */
  private onIdleTimeout(audioStartMs: number, audioEndMs: number): void {
    if (this.turn || this.h.closed() || this.h.activeDefault() || this.h.session().type !== 'realtime')
      return;
    const entry = userAudioEntry(newId('item'));
    this.h.writer.emit({
      type: 'input_audio_buffer.timeout_triggered',
      item_id: entry.item.id,
      audio_start_ms: Math.round(audioStartMs),
      audio_end_ms: Math.round(audioEndMs),
    });
    const audio = this.h.input.takeRange(audioStartMs, audioEndMs);
    if (!this.h.commitEntry(entry, [audio], undefined)) return;
    // Silence has nothing to transcribe; the LLM sees an empty user turn and speaks up.
    entry.extras.transcript = '';
    this.h.createResponse({}, undefined);
  }

  /** Starts the idle clock where a finished response's audio will have played out. */
  armIdleAfter(run: ResponseRun): void {
    if (!this.vad || !run.inConversation) return;
    const played = run.timings.firstAudioAt === undefined ? 0 : performance.now() - run.timings.firstAudioAt;
    this.vad.armIdle(this.h.input.endMs + Math.max(0, run.audioMs - played));
  }

  /** Drops a turn in progress (buffer cleared, manual commit, VAD restarted). */
  endTurn(): void {
    if (!this.turn) return;
    this.turn.speculation?.discard();
    this.turn.stt.close();
    this.turn.announced();
    this.turn = null;
  }
}

function prefixPaddingOf(td: EffectiveTurnDetection): number {
  return td.type === 'server_vad' ? td.prefix_padding_ms : DEFAULT_PREFIX_PADDING_MS;
}
