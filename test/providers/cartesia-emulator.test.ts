/**
 * The Cartesia emulator at the wire level, with a raw `ws` client: handshake auth, context rules
 * (sentence-by-sentence synthesis, flush ids, done, cancel), timestamps, chunking and bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startCartesiaEmulator } from '../../src/emulators/cartesia/index.js';
import type { RunningEmulator } from '../../src/emulators/types.js';

const KEY = 'sk_car_emulator_key';
const VERSION = '2026-08-14';
const FORMAT = { container: 'raw', encoding: 'pcm_s16le', sample_rate: 24000 };

interface Msg {
  type: string;
  context_id?: string;
  data?: string;
  flush_id?: number;
  status_code?: number;
  error_code?: string;
  word_timestamps?: { words: string[]; start: number[]; end: number[] };
}

let emu: RunningEmulator;
let paced: RunningEmulator;

beforeAll(async () => {
  emu = await startCartesiaEmulator({
    apiKey: KEY,
    latency: { firstAudioMs: 5, chunkMs: 40, realtimeFactor: Infinity },
  });
  paced = await startCartesiaEmulator({
    apiKey: KEY,
    latency: { firstAudioMs: 5, chunkMs: 20, realtimeFactor: 1 },
  });
});

afterAll(async () => {
  await emu.close();
  await paced.close();
});

function wsUrl(e: RunningEmulator, query = ''): string {
  return `${e.baseUrl.replace('http://', 'ws://')}/tts/websocket${query}`;
}

/** Opens a socket; resolves with it and its received messages, or rejects with the handshake status. */
function open(
  url: string,
  headers: Record<string, string> = { authorization: `Bearer ${KEY}`, 'cartesia-version': VERSION },
): Promise<{ ws: WebSocket; msgs: Msg[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const msgs: Msg[] = [];
    ws.on('message', (d) => msgs.push(JSON.parse(String(d)) as Msg));
    ws.once('open', () => resolve({ ws, msgs }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(String(res.statusCode))));
    ws.once('error', reject);
  });
}

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function request(contextId: string, transcript: string, more: Record<string, unknown> = {}): string {
  return JSON.stringify({
    context_id: contextId,
    model_id: 'sonic-3',
    voice: { mode: 'id', id: 'v' },
    output_format: FORMAT,
    language: 'en',
    add_timestamps: true,
    transcript,
    continue: true,
    ...more,
  });
}

describe('cartesia emulator handshake', () => {
  it('accepts the key as Bearer, api_key or access_token query, or X-API-Key', async () => {
    const ok = [
      await open(wsUrl(emu)),
      await open(wsUrl(emu, `?api_key=${KEY}&cartesia_version=${VERSION}`), {}),
      await open(wsUrl(emu, `?access_token=${KEY}&cartesia_version=${VERSION}`), {}),
      await open(wsUrl(emu), { 'x-api-key': KEY, 'cartesia-version': VERSION }),
    ];
    for (const { ws } of ok) ws.close();
  });

  it('refuses a missing or wrong key (401), a missing version (400) and another path (404)', async () => {
    await expect(open(wsUrl(emu), { 'cartesia-version': VERSION })).rejects.toThrow('401');
    await expect(
      open(wsUrl(emu), { authorization: 'Bearer nope', 'cartesia-version': VERSION }),
    ).rejects.toThrow('401');
    // The query wins over the header.
    await expect(open(wsUrl(emu, `?api_key=nope&cartesia_version=${VERSION}`))).rejects.toThrow('401');
    await expect(open(wsUrl(emu), { authorization: `Bearer ${KEY}` })).rejects.toThrow('400');
    await expect(open(wsUrl(emu).replace('/tts/websocket', '/other'))).rejects.toThrow('404');
  });
});

describe('cartesia emulator contexts', () => {
  it('speaks complete sentences as they come, the rest on flush, with rising flush ids, then done', async () => {
    const { ws, msgs } = await open(wsUrl(emu));
    const of = (type: string) => msgs.filter((m) => m.type === type && m.context_id === 'c1');
    ws.send(request('c1', 'Hello there. How'));
    await until(() => of('timestamps').length === 1);
    expect(of('timestamps')[0]!.word_timestamps!.words).toEqual(['Hello', 'there.']);
    ws.send(request('c1', ' are you', { flush: true }));
    await until(() => of('flush_done').length === 1);
    expect(of('timestamps')[1]!.word_timestamps!.words).toEqual(['How', 'are', 'you']);
    ws.send(request('c1', '', { flush: true }));
    await until(() => of('flush_done').length === 2);
    expect(of('flush_done').map((m) => m.flush_id)).toEqual([1, 2]);
    ws.send(request('c1', 'Bye.', { continue: false }));
    await until(() => of('done').length === 1);
    expect(msgs.at(-1)!.type).toBe('done');
    // Timestamps are seconds from the context's start, so they keep rising across pieces.
    const starts = of('timestamps').flatMap((m) => m.word_timestamps!.start);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(starts.at(-1)!).toBeGreaterThan(1);
    // 40 ms chunks of 24 kHz PCM16: 1920 bytes, the last of each piece shorter.
    const sizes = of('chunk').map((m) => Buffer.from(m.data!, 'base64').length);
    expect(sizes.filter((n) => n === 1920).length).toBeGreaterThan(sizes.length / 2);
    expect(sizes.every((n) => n > 0 && n <= 1920 && n % 2 === 0)).toBe(true);
    ws.close();
  });

  it('multiplexes contexts on one socket', async () => {
    const { ws, msgs } = await open(wsUrl(emu));
    ws.send(request('a', 'First context.', { continue: false }));
    ws.send(request('b', 'Second context.', { continue: false }));
    await until(() => msgs.filter((m) => m.type === 'done').length === 2);
    for (const id of ['a', 'b'])
      expect(msgs.some((m) => m.type === 'chunk' && m.context_id === id)).toBe(true);
    ws.close();
  });

  it('stops a context on cancel', async () => {
    const { ws, msgs } = await open(wsUrl(paced));
    ws.send(request('c', 'This sentence is long enough to take a few seconds to speak out loud.'));
    await until(() => msgs.some((m) => m.type === 'chunk'));
    ws.send(JSON.stringify({ context_id: 'c', cancel: true }));
    const seen = msgs.length;
    await new Promise((r) => setTimeout(r, 200));
    // At most the chunks already on the wire (uncancelled, about 10 would come); no done after a cancel.
    expect(msgs.length - seen).toBeLessThanOrEqual(2);
    expect(msgs.some((m) => m.type === 'done')).toBe(false);
    ws.close();
  });

  it('answers bad input with an error message on the context', async () => {
    const { ws, msgs } = await open(wsUrl(emu));
    ws.send(request('bad', 'Hi.', { output_format: { ...FORMAT, sample_rate: 11025 } }));
    ws.send(request('ok', 'Hi.', { continue: false }));
    ws.send(request('ok2', 'Hi.', { language: 'en' }));
    ws.send(request('ok2', 'Hi.', { language: 'es' }));
    await until(() => msgs.filter((m) => m.type === 'error').length === 2);
    const errors = msgs.filter((m) => m.type === 'error');
    expect(errors.map((m) => [m.context_id, m.status_code])).toEqual([
      ['bad', 400],
      ['ok2', 400],
    ]);
    await until(() => msgs.some((m) => m.type === 'done' && m.context_id === 'ok'));
    ws.close();
  });
});
