/**
 * Deepgram live speech-to-text through `@deepgram/sdk` v5 (`/v1/listen` over WebSocket).
 *
 * The audio goes out in the session's own encoding and rate (never resampled), as it arrives.
 * The SDK's own reconnection is off; this adapter reconnects and replays the audio no final covers
 * yet (see live-run.ts). Docs: https://developers.deepgram.com/docs/live-streaming-audio
 */
import { DeepgramClient } from '@deepgram/sdk';
import type { AudioEncoding, SttEvent, SttOptions, SttStage } from '../types.js';
import type { ListenConnectArgs, LiveRunSettings } from './live-run.js';
import { LiveRun } from './live-run.js';
import { ListenSocketPool } from './socket-pool.js';

/** Deepgram's newest general model. */
export const DEFAULT_DEEPGRAM_MODEL = 'nova-3';
/**
 * Silence that ends an utterance. Deepgram's own default, 10 ms, ends one at nearly every pause
 * between words; the transcript comes out the same either way, but 300 ms (the value in Deepgram's
 * own examples) keeps one spoken sentence one utterance, which the offline script relies on.
 */
export const DEFAULT_ENDPOINTING_MS = 300;
/** Word gap that brings an UtteranceEnd: the value Deepgram's docs use (it needs interim results). */
export const DEFAULT_UTTERANCE_END_MS = 1_000;
/** Deepgram's connect timeout is 10 s; a healthy handshake takes well under a second. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Reconnects after a drop before the transcription fails. */
export const DEFAULT_MAX_RECONNECTS = 2;
/** KeepAlive cadence while no audio flows: Deepgram asks for one every 3-5 s (it closes after 10 s). */
export const DEFAULT_KEEPALIVE_MS = 3_000;
/** Wait for the finals after the audio ends: the final comes about 150-300 ms after the end of speech. */
export const DEFAULT_FINISH_TIMEOUT_MS = 5_000;
/**
 * Audio kept for replay after a drop: Deepgram finalizes speech within seconds even without a
 * pause, so a minute without a final means the stream is stuck, and more would only lengthen the
 * replay (60 s of 24 kHz PCM16 is 2.9 MB per stream).
 */
export const MAX_REPLAY_MS = 60_000;
/**
 * Audio per frame sent to Deepgram, and the longest audio is held for one (live-run.ts). 100 ms
 * is five 20 ms appends in one frame, within Deepgram's suggested 20-250 ms; a flush (end of a
 * turn) sends what is held at once, so final transcripts are not delayed by it.
 */
export const FRAME_MS = 100;
/**
 * Sockets one adapter (one session) keeps open between transcriptions (socket-pool.ts). A
 * session's turns seldom overlap, so one or two serve every turn.
 */
export const DEFAULT_MAX_IDLE_SOCKETS = 2;
/**
 * How long a kept socket waits for the next turn. Turns come seconds apart; a longer silence
 * gives the connection back to Deepgram (an open socket counts against the account's concurrency).
 */
export const DEFAULT_IDLE_SOCKET_MS = 30_000;

/** Options of the Deepgram STT adapter. */
export interface DeepgramSttOptions {
  apiKey: string;
  /** Default: Deepgram's cloud. An `http://` URL serves both the REST and the WebSocket API. */
  baseUrl?: string;
  /** Default DEFAULT_DEEPGRAM_MODEL. */
  model?: string;
  /** BCP-47 code or `multi`; default: Deepgram's (English). A session's language wins. */
  language?: string;
  /** Default DEFAULT_ENDPOINTING_MS. */
  endpointingMs?: number;
  /** Default DEFAULT_UTTERANCE_END_MS. */
  utteranceEndMs?: number;
  /** Default true. */
  interimResults?: boolean;
  /** Ask for SpeechStarted messages (no SttEvent carries them); default false. */
  vadEvents?: boolean;
  /** Default DEFAULT_CONNECT_TIMEOUT_MS. */
  connectTimeoutMs?: number;
  /** Default DEFAULT_MAX_RECONNECTS. */
  maxReconnects?: number;
  /** Default DEFAULT_KEEPALIVE_MS. */
  keepAliveMs?: number;
  /** Default DEFAULT_FINISH_TIMEOUT_MS. */
  finishTimeoutMs?: number;
  /** Sockets kept open for the next transcriptions; 0: a new socket for each. Default DEFAULT_MAX_IDLE_SOCKETS. */
  maxIdleSockets?: number;
  /** Default DEFAULT_IDLE_SOCKET_MS. */
  idleSocketMs?: number;
  /** Told each time a socket is opened (a kept one taken up again is not a new one). */
  onConnection?: () => void;
}

const ENCODING: Readonly<Record<AudioEncoding, { name: string; bytes: number }>> = {
  pcm16: { name: 'linear16', bytes: 2 },
  mulaw: { name: 'mulaw', bytes: 1 },
  alaw: { name: 'alaw', bytes: 1 },
};

function checkCount(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= min))
    throw new RangeError(`DeepgramStt: ${name} must be a whole number >= ${min}, got ${value}`);
}

/** Streaming STT on Deepgram (or its emulator). */
export class DeepgramStt implements SttStage {
  readonly label = 'deepgram.stt';
  private readonly client: DeepgramClient;
  private readonly o: Required<Omit<DeepgramSttOptions, 'baseUrl' | 'language' | 'onConnection'>> &
    Pick<DeepgramSttOptions, 'language' | 'onConnection'>;
  private readonly pool: ListenSocketPool | null;

  constructor(opts: DeepgramSttOptions) {
    if (typeof opts.apiKey !== 'string' || opts.apiKey.trim() === '')
      throw new TypeError('DeepgramStt: apiKey is required (set DEEPGRAM_API_KEY)');
    if (opts.baseUrl !== undefined && !URL.canParse(opts.baseUrl))
      throw new TypeError('DeepgramStt: baseUrl must be an absolute URL such as https://api.deepgram.com');
    checkCount('endpointingMs', opts.endpointingMs, 1);
    checkCount('utteranceEndMs', opts.utteranceEndMs, 1);
    checkCount('connectTimeoutMs', opts.connectTimeoutMs, 1);
    checkCount('maxReconnects', opts.maxReconnects, 0);
    checkCount('keepAliveMs', opts.keepAliveMs, 1);
    checkCount('finishTimeoutMs', opts.finishTimeoutMs, 1);
    checkCount('maxIdleSockets', opts.maxIdleSockets, 0);
    checkCount('idleSocketMs', opts.idleSocketMs, 1);
    this.o = {
      apiKey: opts.apiKey,
      model: opts.model ?? DEFAULT_DEEPGRAM_MODEL,
      language: opts.language,
      endpointingMs: opts.endpointingMs ?? DEFAULT_ENDPOINTING_MS,
      utteranceEndMs: opts.utteranceEndMs ?? DEFAULT_UTTERANCE_END_MS,
      interimResults: opts.interimResults ?? true,
      vadEvents: opts.vadEvents ?? false,
      connectTimeoutMs: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      maxReconnects: opts.maxReconnects ?? DEFAULT_MAX_RECONNECTS,
      keepAliveMs: opts.keepAliveMs ?? DEFAULT_KEEPALIVE_MS,
      finishTimeoutMs: opts.finishTimeoutMs ?? DEFAULT_FINISH_TIMEOUT_MS,
      maxIdleSockets: opts.maxIdleSockets ?? DEFAULT_MAX_IDLE_SOCKETS,
      idleSocketMs: opts.idleSocketMs ?? DEFAULT_IDLE_SOCKET_MS,
      onConnection: opts.onConnection,
    };
    const o = this.o;
    this.pool =
      o.maxIdleSockets > 0 ? new ListenSocketPool(o.maxIdleSockets, o.idleSocketMs, o.keepAliveMs) : null;
    this.client = new DeepgramClient({
      apiKey: opts.apiKey,
      ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
    });
  }

  /**
   * Transcribes until `audio` ends: interim and final transcripts, and utterance ends. A final is
   * also reported, possibly empty, when Deepgram answers the closing Finalize. `opts.prompt` is not
   * used: Nova-3 takes key terms, not free text.
   */
  async *transcribe(
    audio: AsyncIterable<Uint8Array>,
    opts: SttOptions,
    signal: AbortSignal,
  ): AsyncIterable<SttEvent> {
    if (signal.aborted) return;
    const run = new LiveRun(this.client, this.settingsFor(opts), signal);
    const driving = run.drive(audio);
    try {
      for await (const ev of run.events) {
        if (signal.aborted) return;
        yield ev;
      }
      if (run.failure && !signal.aborted) throw run.failure;
    } finally {
      run.stop();
      // drive() never rejects; it ends when the audio iterator next yields or ends.
      void driving;
    }
  }

  /** Closes the sockets kept for later transcriptions (when the session ends). */
  close(): void {
    this.pool?.close();
  }

  private settingsFor(opts: SttOptions): LiveRunSettings {
    const encoding = ENCODING[opts.audio.encoding];
    const rate = opts.audio.sampleRate;
    if (!encoding) throw new TypeError(`DeepgramStt: unsupported encoding ${String(opts.audio.encoding)}`);
    if (!(Number.isInteger(rate) && rate > 0)) throw new RangeError(`DeepgramStt: bad sample rate ${rate}`);
    const o = this.o;
    const language = opts.language ?? o.language;
    const args: ListenConnectArgs = {
      model: o.model,
      ...(language ? { language } : {}),
      encoding: encoding.name,
      sample_rate: rate,
      channels: 1,
      interim_results: o.interimResults ? 'true' : 'false',
      endpointing: o.endpointingMs,
      // Deepgram only sends UtteranceEnd with interim results on.
      ...(o.interimResults ? { utterance_end_ms: o.utteranceEndMs } : {}),
      vad_events: o.vadEvents ? 'true' : 'false',
    };
    const bytesPerSecond = rate * encoding.bytes;
    const key = o.apiKey;
    return {
      args,
      bytesPerSecond,
      sampleBytes: encoding.bytes,
      maxReplayBytes: Math.floor((MAX_REPLAY_MS / 1000) * bytesPerSecond),
      connectTimeoutMs: o.connectTimeoutMs,
      maxReconnects: o.maxReconnects,
      keepAliveMs: o.keepAliveMs,
      finishTimeoutMs: o.finishTimeoutMs,
      redact: (text) => text.split(key).join('[redacted]'),
      frameBytes: Math.floor((FRAME_MS / 1000) * bytesPerSecond),
      maxHoldMs: FRAME_MS,
      pool: this.pool,
      poolKey: JSON.stringify(args),
      onConnection: o.onConnection,
    };
  }
}
