/**
 * The Deepgram emulator on the wire, with a plain `ws` client (live) and the real SDK (REST):
 * handshake and auth, message shapes and order, Finalize / CloseStream, the idle close, faults.
 */
import { DeepgramClient } from '@deepgram/sdk';
import type { ListenV1Response } from '@deepgram/sdk';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startDeepgramEmulator } from '../../src/emulators/deepgram/index.js';
import type { DeepgramEmulator } from '../../src/emulators/deepgram/index.js';
import type { AudioSpec } from '../../src/providers/types.js';
import { chunked, toneBursts, wavFile } from './deepgram-audio.js';

const KEY = 'dg-emulator-key-77';
const PCM16K: AudioSpec = { encoding: 'pcm16', sampleRate: 16_000 };
const ALAW8: AudioSpec = { encoding: 'alaw', sampleRate: 8_000 };
const QUERY = 'model=nova-3&encoding=linear16&sample_rate=16000&channels=1';

type Msg = Record<string, unknown> & { type: string };

/** A raw client: every message it receives, and how the socket closed. */
interface Conn {
  ws: WebSocket;
  messages: Msg[];
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first message (from now on, or already received) matching `pred`. */
  next(pred: (m: Msg) => boolean): Promise<Msg>;
}

function open(
  emu: DeepgramEmulator,
  query: string,
  opts: WebSocket.ClientOptions = {},
  protocols?: string[],
) {
  const ws = new WebSocket(`${emu.baseUrl.replace('http', 'ws')}/v1/listen?${query}`, protocols, {
    headers: protocols ? {} : { Authorization: `Token ${KEY}` },
    ...opts,
  });
  const messages: Msg[] = [];
  const waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Msg;
    messages.push(m);
    for (const w of waiters.splice(0)) {
      if (w.pred(m)) w.resolve(m);
      else waiters.push(w);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  const conn: Conn = {
    ws,
    messages,
    closed,
    next: (pred) =>
      new Promise((resolve) => {
        const seen = messages.find(pred);
        if (seen) resolve(seen);
        else waiters.push({ pred, resolve });
      }),
  };
  return new Promise<Conn>((resolve, reject) => {
    ws.once('open', () => resolve(conn));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += String(c)));
      res.on('end', () =>
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })),
      );
    });
    ws.once('error', reject);
  });
}

function sendAll(conn: Conn, spec: AudioSpec, bytes: Uint8Array): void {
  for (const c of chunked(spec, bytes)) conn.ws.send(c);
}

describe('deepgram emulator: handshake', () => {
  let emu: DeepgramEmulator;
  beforeAll(async () => {
    emu = await startDeepgramEmulator({ apiKey: KEY, latency: { sttFinalMs: 0 } });
  });
  afterAll(() => emu.close());

  it('accepts Token, Bearer and the token subprotocol, and tolerates unknown parameters', async () => {
    const extra = `${QUERY}&smart_format=true&keyterm=a&keyterm=b&made_up=1`;
    for (const conn of [
      await open(emu, extra),
      await open(emu, QUERY, { headers: { Authorization: `Bearer ${KEY}` } }),
      await open(emu, QUERY, {}, ['token', KEY]),
    ]) {
      conn.ws.send(JSON.stringify({ type: 'CloseStream' }));
      expect((await conn.closed).code).toBe(1000);
    }
  });

  it('answers a wrong key with 401 INVALID_AUTH, a missing encoding with 400, another path with 404', async () => {
    const wrong = await open(emu, QUERY, { headers: { Authorization: 'Token nope' } }).catch(
      (e: unknown) => e,
    );
    expect(wrong).toMatchObject({ status: 401 });
    expect(JSON.parse((wrong as { body: string }).body)).toMatchObject({ err_code: 'INVALID_AUTH' });
    expect(await open(emu, 'model=nova-3').catch((e: unknown) => e)).toMatchObject({ status: 400 });
    const other = new URL(emu.baseUrl);
    other.pathname = '/v1/speak';
    const ws = new WebSocket(other.href.replace('http', 'ws'), {
      headers: { Authorization: `Token ${KEY}` },
    });
    const status = await new Promise((r) => ws.once('unexpected-response', (_q, res) => r(res.statusCode)));
    expect(status).toBe(404);
  });
});

describe('deepgram emulator: live stream', () => {
  let emu: DeepgramEmulator;
  beforeAll(async () => {
    emu = await startDeepgramEmulator({
      apiKey: KEY,
      script: ['Hello, World!', 'second'],
      latency: { sttFinalMs: 120 },
      idleTimeoutMs: 300,
    });
  });
  afterAll(() => emu.close());

  it('sends SpeechStarted, interims, the endpointed final, UtteranceEnd, then on CloseStream a final, Metadata and 1000', async () => {
    const conn = await open(
      emu,
      `${QUERY}&interim_results=true&vad_events=true&endpointing=100&utterance_end_ms=1000`,
    );
    const audio = toneBursts(PCM16K, [200, 1_000, 1_200]);
    const t0 = Date.now();
    sendAll(conn, PCM16K, audio);
    const final = await conn.next((m) => m.type === 'Results' && m.is_final === true);
    // The final is held sttFinalMs after the end of speech was heard (all audio went out at t0).
    expect(Date.now() - t0).toBeGreaterThanOrEqual(115);
    await conn.next((m) => m.type === 'UtteranceEnd');
    conn.ws.send(JSON.stringify({ type: 'CloseStream' }));
    expect(await conn.closed).toEqual({ code: 1000, reason: '' });

    const types = conn.messages.map((m) =>
      m.type === 'Results' ? (m.is_final ? 'final' : 'interim') : m.type,
    );
    expect(types).toEqual([
      'SpeechStarted',
      'interim',
      'interim',
      'final',
      'UtteranceEnd',
      'final',
      'Metadata',
    ]);
    expect(conn.messages[0]).toEqual({ type: 'SpeechStarted', channel: [0, 1], timestamp: 0.2 });
    expect(final).toMatchObject({
      channel_index: [0, 1],
      start: 0,
      duration: 1.3,
      speech_final: true,
      from_finalize: false,
      metadata: { model_info: { name: 'general-nova-3', arch: 'nova-3' } },
      channel: {
        alternatives: [
          {
            transcript: 'Hello, World!',
            confidence: 0.99,
            words: [
              { word: 'hello', punctuated_word: 'Hello,', start: 0.2, end: 0.7, confidence: 0.99 },
              { word: 'world', punctuated_word: 'World!', start: 0.7, end: 1.2, confidence: 0.99 },
            ],
          },
        ],
      },
    });
    expect(conn.messages[4]).toEqual({ type: 'UtteranceEnd', channel: [0, 1], last_word_end: 1.2 });
    expect(conn.messages[5]).toMatchObject({
      start: 1.3,
      duration: 1.1,
      is_final: true,
      from_finalize: true,
      channel: { alternatives: [{ transcript: '', confidence: 0, words: [] }] },
    });
    expect(conn.messages[6]).toMatchObject({
      type: 'Metadata',
      transaction_key: 'deprecated',
      duration: 2.4,
      channels: 1,
      sha256: createHash('sha256').update(audio).digest('hex'),
    });
  });

  it('Finalize flushes speech in progress (from_finalize) and keeps the socket open; an empty frame is not audio', async () => {
    const conn = await open(emu, 'encoding=alaw&sample_rate=8000');
    conn.ws.send(new Uint8Array(0));
    sendAll(conn, ALAW8, toneBursts(ALAW8, [100, 500]));
    conn.ws.send(JSON.stringify({ type: 'Finalize' }));
    const flushed = await conn.next((m) => m.type === 'Results');
    expect(flushed).toMatchObject({
      start: 0,
      duration: 0.6,
      is_final: true,
      speech_final: false,
      from_finalize: true,
      channel: { alternatives: [{ transcript: 'second' }] },
    });
    // Without `interim_results` and `vad_events` nothing else came; a second Finalize is still answered.
    conn.ws.send(JSON.stringify({ type: 'Finalize' }));
    await conn.next((m) => m.type === 'Results' && m.start === 0.6);
    expect(conn.messages).toHaveLength(2);
    expect(conn.messages[1]).toMatchObject({ duration: 0, from_finalize: true });
    expect(conn.ws.readyState).toBe(WebSocket.OPEN);
    conn.ws.send(JSON.stringify({ type: 'CloseStream' }));
    await conn.next((m) => m.type === 'Metadata');
    expect(conn.messages.at(-1)).toMatchObject({ duration: 0.6 });
    expect((await conn.closed).code).toBe(1000);
  });

  it('closes an idle stream with 1011 NET-0001; KeepAlive defers it', async () => {
    const conn = await open(emu, QUERY);
    const t0 = Date.now();
    let lastKeepAlive = t0;
    const keepAlive = setInterval(() => {
      conn.ws.send(JSON.stringify({ type: 'KeepAlive' }));
      lastKeepAlive = Date.now();
    }, 50);
    setTimeout(() => clearInterval(keepAlive), 500);
    expect(await conn.closed).toEqual({ code: 1011, reason: 'NET-0001' });
    // Idle timeout 300 ms: the close came one timeout after the last KeepAlive, not after the first.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
    expect(Date.now() - lastKeepAlive).toBeGreaterThanOrEqual(295);
  });
});

describe('deepgram emulator: faults', () => {
  let emu: DeepgramEmulator;
  beforeAll(async () => {
    emu = await startDeepgramEmulator({ latency: { sttFinalMs: 0 } });
  });
  afterAll(() => emu.close());

  it('close_mid_stream closes afterMs after the first audio with the code and reason given', async () => {
    emu.setFault({ kind: 'close_mid_stream', afterMs: 50 }, 1);
    const first = await open(emu, QUERY);
    sendAll(first, PCM16K, toneBursts(PCM16K, [100]));
    expect(await first.closed).toEqual({ code: 1011, reason: 'NET-0000' });
    emu.setFault({ kind: 'close_mid_stream', afterMs: 0, code: 4000, reason: 'custom' }, 1);
    const second = await open(emu, QUERY);
    sendAll(second, PCM16K, toneBursts(PCM16K, [100]));
    expect(await second.closed).toEqual({ code: 4000, reason: 'custom' });
  });

  it('error_message closes with 1008 DATA-0000; refuse_handshake answers its status', async () => {
    emu.setFault({ kind: 'error_message' }, 1);
    const conn = await open(emu, QUERY);
    sendAll(conn, PCM16K, toneBursts(PCM16K, [100]));
    expect(await conn.closed).toEqual({ code: 1008, reason: 'DATA-0000' });
    emu.setFault({ kind: 'refuse_handshake', status: 503 }, 1);
    expect(await open(emu, QUERY).catch((e: unknown) => e)).toMatchObject({ status: 503 });
    const after = await open(emu, QUERY);
    after.ws.close();
  });
});

describe('deepgram emulator: pre-recorded REST through the SDK', () => {
  let emu: DeepgramEmulator;
  beforeAll(async () => {
    emu = await startDeepgramEmulator({ apiKey: KEY, script: ['First line.', 'Second line.'] });
  });
  afterAll(() => emu.close());
  const client = () => new DeepgramClient({ apiKey: KEY, baseUrl: emu.baseUrl, maxRetries: 0 });
  /** The synchronous answer (not the callback acknowledgement). */
  const transcript = (res: object): ListenV1Response => {
    expect(res).toHaveProperty('results');
    return res as ListenV1Response;
  };

  it('transcribeFile of a WAV file: one script line per utterance, split at utt_split', async () => {
    const audio = toneBursts(PCM16K, [200, 600, 1_000, 400, 300]);
    const res = transcript(
      await client().listen.v1.media.transcribeFile(wavFile(PCM16K, audio), {
        model: 'nova-3',
        utterances: true,
      }),
    );
    expect(res.metadata).toMatchObject({ duration: 2.5, channels: 1 });
    const alt = res.results.channels[0]?.alternatives?.[0];
    expect(alt?.transcript).toBe('First line. Second line.');
    expect(alt?.words?.map((w) => [w.word, w.start, w.end])).toEqual([
      ['first', 0.2, 0.5],
      ['line', 0.5, 0.8],
      ['second', 1.8, 2],
      ['line', 2, 2.2],
    ]);
    expect(res.results.utterances?.map((u) => u.transcript)).toEqual(['First line.', 'Second line.']);
  });

  it('raw audio with encoding and sample_rate; past the script, the placeholder', async () => {
    const audio = toneBursts(ALAW8, [100, 750, 100]);
    const res = transcript(
      await client().listen.v1.media.transcribeFile(
        audio,
        { encoding: 'alaw' },
        { queryParams: { sample_rate: 8000 } },
      ),
    );
    expect(res.results.channels[0]?.alternatives?.[0]?.transcript).toBe('[0.75 seconds of speech]');
  });

  it('a wrong key is 401; http_error faults answer their status', async () => {
    const bad = new DeepgramClient({ apiKey: 'wrong', baseUrl: emu.baseUrl, maxRetries: 0 });
    const audio = wavFile(PCM16K, toneBursts(PCM16K, [100]));
    await expect(bad.listen.v1.media.transcribeFile(audio, {})).rejects.toMatchObject({ statusCode: 401 });
    emu.setFault({ kind: 'http_error', status: 429, retryAfterSeconds: 1 }, 1);
    await expect(client().listen.v1.media.transcribeFile(audio, {})).rejects.toMatchObject({
      statusCode: 429,
    });
  });
});
