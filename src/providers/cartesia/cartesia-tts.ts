/**
 * Cartesia streaming TTS through `@cartesia/cartesia-js` v4: one WebSocket per adapter instance
 * (one per session), one Cartesia context per `synthesize()` call
 * (https://docs.cartesia.ai/use-the-api/tts-websocket/contexts). Audio comes back in the
 * session's own encoding and rate, so nothing is resampled on the hot path.
 */
import { randomUUID } from 'node:crypto';
import { untilAborted } from '../../util/abort.js';
import type { TTSWSContext } from '@cartesia/cartesia-js/resources/tts/ws';
import type { AudioSpec, TtsChunk, TtsOptions, TtsStage } from '../types.js';
import { Connection } from './connection.js';
import { CartesiaStream } from './stream.js';

/** Cartesia's hosted API. */
export const CARTESIA_DEFAULT_BASE_URL = 'https://api.cartesia.ai';
/** Default model: Sonic-3 takes `generation_config` speed and emotion. */
export const CARTESIA_DEFAULT_MODEL = 'sonic-3';
/** A handshake slower than this is a failure: the hosted service answers in well under a second. */
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Silence while audio is owed (before the first chunk, or after the end of input) that fails a stream. */
const DEFAULT_STALL_TIMEOUT_MS = 5_000;
/** Sonic-3's `generation_config.speed` range. */
const MIN_SPEED = 0.6;
const MAX_SPEED = 1.5;
/** Cartesia's `max_buffer_delay_ms` range. */
const MAX_BUFFER_DELAY_MS = 5_000;
/**
 * Most audio that queued messages are joined into (stream.ts): a few of Cartesia's chunks, so a
 * busy moment sends one larger delta instead of several small ones back to back.
 */
export const MAX_JOINED_CHUNK_MS = 200;
/** Rates Cartesia's raw output offers, in Hz. */
const CARTESIA_SAMPLE_RATES = [8000, 16000, 22050, 24000, 44100, 48000] as const;
/** Options of the Cartesia TTS adapter. */
export interface CartesiaTtsOptions {
  /** Cartesia API key (the SDK does not read CARTESIA_API_KEY itself). */
  apiKey: string;
  /**
   * Default https://api.cartesia.ai. An `http://` or `ws://` URL (an on-prem deployment without
   * TLS, or the emulator) is reached over plain TCP although the SDK always asks for `wss://`.
   */
  baseUrl?: string;
  /** Default `sonic-3`. */
  model?: string;
  /** `cartesia-version` header; default: the SDK's own (2026-08-14). */
  version?: string;
  /** Language when a stream names none (ISO 639-1); default `en`. */
  defaultLanguage?: string;
  /** Sonic-3 `generation_config.emotion`, e.g. `calm` (default: none, the voice's own). */
  emotion?: string;
  /** Cartesia's `max_buffer_delay_ms` (0-5000); default: the service's (3000). */
  maxBufferDelayMs?: number;
  /** Default 5000. */
  connectTimeoutMs?: number;
  /** Default 5000: how long Cartesia may stay silent while audio is owed. */
  stallTimeoutMs?: number;
  /** Told as each new WebSocket starts its handshake. */
  onConnection?: () => void;
}

/** Cartesia's encoding for each of ours. */
const ENCODING_OF = {
  pcm16: 'pcm_s16le',
  mulaw: 'pcm_mulaw',
  alaw: 'pcm_alaw',
} as const satisfies Record<AudioSpec['encoding'], string>;

/** TTS stage backed by Cartesia's WebSocket API. */
export class CartesiaTts implements TtsStage {
  readonly label = 'cartesia.tts';
  private readonly o: Required<
    Omit<CartesiaTtsOptions, 'version' | 'emotion' | 'maxBufferDelayMs' | 'onConnection'>
  > &
    Pick<CartesiaTtsOptions, 'version' | 'emotion' | 'maxBufferDelayMs' | 'onConnection'>;
  private readonly httpBaseUrl: string;
  /** Host and port to reach over plain TCP, or null for TLS. */
  private readonly plain: { host: string; port: number } | null;
  private conn: Connection | null = null;
  private connecting: Promise<Connection> | null = null;
  private closed = false;
  private connectAbort: AbortController | null = null;

  constructor(options: CartesiaTtsOptions) {
    if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '')
      throw new Error('CartesiaTts: apiKey is required (set CARTESIA_API_KEY).');
    const baseUrl = options.baseUrl ?? CARTESIA_DEFAULT_BASE_URL;
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new Error(`CartesiaTts: baseUrl '${baseUrl}' is not a URL (e.g. https://api.cartesia.ai).`);
    }
    if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol))
      throw new Error(`CartesiaTts: baseUrl must be http(s):// or ws(s)://, got '${url.protocol}'.`);
    const secure = url.protocol === 'https:' || url.protocol === 'wss:';
    this.plain = secure ? null : { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 80) };
    url.protocol = secure ? 'https:' : 'http:';
    this.httpBaseUrl = url.href.replace(/\/+$/, '');
    const positive = (name: string, v: number | undefined, def: number) => {
      if (v === undefined) return def;
      if (!Number.isFinite(v) || v <= 0)
        throw new Error(`CartesiaTts: ${name} must be a positive number of ms.`);
      return v;
    };
    if (
      options.maxBufferDelayMs !== undefined &&
      !(
        Number.isInteger(options.maxBufferDelayMs) &&
        options.maxBufferDelayMs >= 0 &&
        options.maxBufferDelayMs <= MAX_BUFFER_DELAY_MS
      )
    )
      throw new Error(`CartesiaTts: maxBufferDelayMs must be an integer from 0 to ${MAX_BUFFER_DELAY_MS}.`);
    this.o = {
      apiKey: options.apiKey,
      baseUrl,
      model: options.model || CARTESIA_DEFAULT_MODEL,
      version: options.version || undefined,
      defaultLanguage: options.defaultLanguage || 'en',
      emotion: options.emotion || undefined,
      maxBufferDelayMs: options.maxBufferDelayMs,
      connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS),
      stallTimeoutMs: positive('stallTimeoutMs', options.stallTimeoutMs, DEFAULT_STALL_TIMEOUT_MS),
      onConnection: options.onConnection,
    };
  }

  /** Opens the WebSocket ahead of the first response (optional: synthesize() connects lazily). */
  async prepare(): Promise<void> {
    await this.connection();
  }

  /** Closes the WebSocket; a later synthesize() opens a new one. */
  close(): void {
    this.closed = true;
    this.connectAbort?.abort();
    const conn = this.conn;
    this.conn = null;
    conn?.close();
  }

  async *synthesize(
    text: AsyncIterable<string>,
    opts: TtsOptions,
    signal: AbortSignal,
  ): AsyncIterable<TtsChunk> {
    if (signal.aborted) return;
    const output_format = outputFormatOf(opts.audio);
    this.closed = false;
    const conn = await untilAborted(this.connection(), signal);
    if (!conn) return;
    const contextId = randomUUID();
    const pcm16 = opts.audio.encoding === 'pcm16';
    const maxChunkBytes = Math.floor((MAX_JOINED_CHUNK_MS / 1000) * opts.audio.sampleRate * (pcm16 ? 2 : 1));
    const stream = new CartesiaStream(pcm16, this.o.stallTimeoutMs, maxChunkBytes);
    conn.streams.set(contextId, stream);
    const ctx = conn.context({
      contextId,
      model_id: this.o.model,
      voice: { mode: 'id', id: opts.voice },
      output_format,
      language: languageOf(opts.language ?? this.o.defaultLanguage),
      add_timestamps: true,
      ...(this.o.maxBufferDelayMs === undefined ? {} : { max_buffer_delay_ms: this.o.maxBufferDelayMs }),
    });
    const input = text[Symbol.asyncIterator]();
    void this.pump(input, ctx, conn, stream, opts.speed, signal);
    try {
      for (;;) {
        const chunk = await stream.next(signal);
        if (chunk === null) return;
        yield chunk;
      }
    } finally {
      stream.close();
      conn.streams.delete(contextId);
      // A socket that went silent mid-stream would fail every later response too: drop it.
      if (stream.stalled) {
        if (this.conn === conn) this.conn = null;
        conn.close();
      }
      // Cancel only a context the server still runs, and never through a closed socket.
      if (stream.started && !stream.settled && conn.isOpen) void ctx.cancel();
      void Promise.resolve(input.return?.()).catch(() => undefined);
    }
  }

  /** Pushes each text piece as it comes (continue: true), then ends the context. */
  private async pump(
    input: AsyncIterator<string>,
    ctx: TTSWSContext,
    conn: Connection,
    stream: CartesiaStream,
    speed: number,
    signal: AbortSignal,
  ): Promise<void> {
    const generationConfig = {
      ...(speed !== 1 ? { speed: Math.min(MAX_SPEED, Math.max(MIN_SPEED, speed)) } : {}),
      // The SDK types emotion as a closed list; Cartesia documents more over time, so any string passes.
      ...(this.o.emotion ? { emotion: this.o.emotion as 'calm' } : {}),
    };
    let last = '';
    try {
      for (let r = await input.next(); !r.done; r = await input.next()) {
        const piece = r.value;
        if (stream.isClosed || signal.aborted) return;
        if (!piece) continue;
        if (!conn.isOpen) throw new Error('Cartesia connection closed mid-stream');
        // Cartesia concatenates transcripts verbatim; the chunker hands out trimmed sentences.
        const sep = last && !/\s$/.test(last) && !/^\s/.test(piece) ? ' ' : '';
        stream.started = true;
        stream.owe();
        await ctx.push({
          transcript: sep + piece,
          ...(Object.keys(generationConfig).length ? { generation_config: generationConfig } : {}),
        });
        last = piece;
      }
      if (stream.isClosed || signal.aborted) return;
      if (!stream.started) return stream.end();
      if (!conn.isOpen) throw new Error('Cartesia connection closed mid-stream');
      stream.inputEnded();
      await ctx.no_more_inputs();
    } catch (err) {
      stream.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private connection(): Promise<Connection> {
    if (this.conn && this.conn.isOpen) return Promise.resolve(this.conn);
    this.connecting ??= this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async open(): Promise<Connection> {
    this.connectAbort = new AbortController();
    this.o.onConnection?.();
    const conn = await Connection.open(
      {
        apiKey: this.o.apiKey,
        httpBaseUrl: this.httpBaseUrl,
        plain: this.plain,
        version: this.o.version,
        connectTimeoutMs: this.o.connectTimeoutMs,
      },
      this.connectAbort.signal,
    );
    // The session ended while the handshake ran: nobody would ever close this socket.
    if (this.closed) {
      conn.close();
      throw new Error('Cartesia adapter closed while connecting');
    }
    this.conn = conn;
    return conn;
  }
}

function outputFormatOf(audio: AudioSpec) {
  const rate = CARTESIA_SAMPLE_RATES.find((r) => r === audio.sampleRate);
  if (rate === undefined)
    throw new Error(
      `Cartesia cannot produce ${audio.sampleRate} Hz audio (offers ${CARTESIA_SAMPLE_RATES.join(', ')}).`,
    );
  return { container: 'raw', encoding: ENCODING_OF[audio.encoding], sample_rate: rate } as const;
}

/** Cartesia takes ISO 639-1 codes: `en-US` -> `en`. */
function languageOf(language: string): string {
  return language.toLowerCase().split(/[-_]/)[0] || 'en';
}
