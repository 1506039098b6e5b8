/**
 * Server-side turn detection for one session: appended input audio is decoded, brought to the
 * VAD's rate (8 kHz G.711 stays native; 24 kHz PCM goes to 16 kHz), scored by the VAD stage and
 * turned into speech start and stop decisions on the session's audio timeline.
 */
import { AUDIO_FORMATS, decodeToPcm16 } from '../audio/formats.js';
import type { AudioFormatType } from '../audio/formats.js';
import { Pcm16Framer } from '../audio/framer.js';
import { StreamingResampler } from '../audio/resampler.js';
import type { ResamplerQuality } from '../audio/resampler.js';
import { TurnDetector } from '../pipeline/turn-detector.js';
import type { TurnDetectorConfig } from '../pipeline/turn-detector.js';
import type { VadStage } from '../providers/types.js';
import { Channel } from '../util/channel.js';

/**
 * Audio handed to the VAD at a time: Silero's window (32 ms at both rates). The VAD scores nothing
 * before a window is full, so a 20 ms append on its own would only wake the VAD's loop for
 * nothing; in window-sized chunks the loop runs once per window (every wake is several promise
 * hops, a measured share of the event loop at 100 sessions).
 */
const VAD_CHUNK_MS = 32;
/**
 * The filter for the VAD's copy of 24 kHz input: 19 taps a phase (flat to 4.8 kHz, 40 dB stopband
 * by design; measured, tones to 4.8 kHz come out within 1 % of exact, aliases under -50 dBc)
 * instead of the playback-grade 131. It was a fifth of the event loop's busy time at 100 PCM
 * sessions with 57 taps (`--cpu-prof`). On the speech fixtures at 24 kHz, clean and with white
 * noise at 20 and 10 dB SNR, Silero's turn starts and stops came within three windows (96 ms) of
 * where the playback-grade filter puts them, as with 57 taps; the same audio half a millisecond
 * later moves them by up to two. That jitter is the model's. The 8 kHz VAD that serves G.711 hears
 * nothing above 4 kHz.
 */
export const VAD_RESAMPLER_QUALITY: ResamplerQuality = { stopbandDb: 40, passbandRatio: 0.6 };
/** Largest G.711 append decoded into the reused array: 200 ms at 8 kHz (clients send 20 to 100 ms). */
const MAX_SCRATCH_SAMPLES = 1_600;
/** Audio waiting for the VAD, 10 s; past this the VAD is falling behind real time by seconds. */
const MAX_PENDING_VAD_CHUNKS = Math.ceil(10_000 / VAD_CHUNK_MS);

/** What the session hears from turn detection (times on the session's input audio timeline). */
export interface ServerVadHooks {
  /** `speechMs`: where the first speech window began (audioStartMs is that less the prefix padding). */
  speechStarted(audioStartMs: number, speechMs: number): void;
  /** Silence began inside speech: the turn may be ending (speculation may start). */
  silenceStarted?(atMs: number): void;
  /** Speech came back before the silence was long enough: the turn goes on. */
  speechResumed?(atMs: number): void;
  /** `speechEndMs`: where the last speech window ended (the turn's audio runs on to `audioEndMs`). */
  speechStopped(audioEndMs: number, speechEndMs: number): void;
  /** `idle_timeout_ms` passed with no speech since the idle clock was armed. */
  idleTimeout?(audioStartMs: number, audioEndMs: number): void;
  failed(err: unknown): void;
}

/** One session's VAD stream and turn detector. */
export class ServerVad {
  private readonly input = new Channel<Int16Array>(MAX_PENDING_VAD_CHUNKS);
  private readonly resampler: StreamingResampler | null;
  private readonly controller = new AbortController();
  private readonly detector: TurnDetector;
  /** Where the last window the detector has heard ends (the VAD's timeline). */
  private decidedToMs = 0;
  private readonly vadRate: number;
  /** Decoded audio in VAD_CHUNK_MS chunks. */
  private readonly framer: Pcm16Framer;
  /**
   * G.711 appends of up to MAX_SCRATCH_SAMPLES are decoded here (a larger one gets its own array):
   * a 20 ms append's own array was a backing store per append. PCM needs none.
   */
  private readonly scratch: Int16Array | undefined;

  constructor(
    vad: VadStage,
    private readonly format: AudioFormatType,
    config: TurnDetectorConfig,
    /** Where this detector's timeline starts on the session's input timeline. */
    private readonly offsetMs: number,
    private readonly hooks: ServerVadHooks,
  ) {
    const inputRate = AUDIO_FORMATS[format].sampleRate;
    this.vadRate = vad.sampleRates.includes(inputRate) ? inputRate : inputRate === 8_000 ? 8_000 : 16_000;
    this.resampler =
      inputRate === this.vadRate
        ? null
        : new StreamingResampler(inputRate, this.vadRate, VAD_RESAMPLER_QUALITY);
    this.framer = new Pcm16Framer((VAD_CHUNK_MS * this.vadRate) / 1000);
    this.scratch = format === 'audio/pcm' ? undefined : new Int16Array(MAX_SCRATCH_SAMPLES);
    this.detector = new TurnDetector(config);
    void this.run(vad);
  }

  /** Feeds appended bytes (in the session's input format). */
  push(bytes: Uint8Array): void {
    // The decoded samples only live through this call (the framer and resampler copy them).
    let pcm = decodeToPcm16(this.format, bytes, this.scratch);
    if (this.resampler) pcm = this.resampler.push(pcm);
    this.framer.push(pcm, this.toVad);
  }

  /** A whole chunk for the VAD; once failed, the channel is closed and drops the rest of a push. */
  private readonly toVad = (chunk: Int16Array): void => {
    try {
      this.input.push(chunk);
    } catch (err) {
      this.fail(err);
    }
  };

  /** Whether a window ending at `endMs` (the VAD's timeline) could start or end a turn. */
  private readonly urgent = (endMs: number): boolean =>
    endMs >= this.detector.earliestDecisionMs(this.decidedToMs);

  /** Starts the idle clock at a point of the session's timeline (`idle_timeout_ms`). */
  armIdle(fromMs: number): void {
    this.detector.armIdleTimeout(Math.max(0, fromMs - this.offsetMs));
  }

  /** The STT heard the end of an utterance: semantic VAD may end the turn on a short silence. */
  noteEndOfUtterance(): void {
    this.detector.noteEndOfUtterance();
  }

  /** Stops detection; no hook is called afterwards. */
  close(): void {
    this.controller.abort();
    this.input.close();
  }

  private async run(vad: VadStage): Promise<void> {
    const signal = this.controller.signal;
    try {
      const opts = { sampleRate: this.vadRate, urgent: this.urgent };
      for await (const frame of vad.detect(this.input, opts, signal)) {
        if (signal.aborted) return;
        this.decidedToMs = frame.endMs;
        for (const ev of this.detector.push(frame)) {
          if (signal.aborted) return;
          switch (ev.type) {
            case 'speech_started':
              this.hooks.speechStarted(this.offsetMs + ev.audioStartMs, this.offsetMs + ev.speechStartMs);
              break;
            case 'silence_started':
              this.hooks.silenceStarted?.(this.offsetMs + ev.atMs);
              break;
            case 'speech_resumed':
              this.hooks.speechResumed?.(this.offsetMs + ev.atMs);
              break;
            case 'speech_stopped':
              this.hooks.speechStopped(this.offsetMs + ev.audioEndMs, this.offsetMs + ev.speechEndMs);
              break;
            case 'idle_timeout':
              this.hooks.idleTimeout?.(this.offsetMs + ev.audioStartMs, this.offsetMs + ev.audioEndMs);
              break;
          }
        }
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    if (this.controller.signal.aborted) return;
    this.close();
    this.hooks.failed(err);
  }
}
