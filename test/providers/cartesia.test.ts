/**
 * The Cartesia TTS adapter through the real `@cartesia/cartesia-js` SDK against the loopback
 * emulator (real espeak-ng speech): the stage contract, real audio, word timings, socket reuse,
 * cancellation, faults, and the Spanish voice.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeAlaw, decodeMulaw } from '../../src/audio/g711.js';
import { bytesToPcm16 } from '../../src/audio/pcm16.js';
import { startCartesiaEmulator } from '../../src/emulators/cartesia/index.js';
import type { RunningEmulator } from '../../src/emulators/types.js';
import { CartesiaTts } from '../../src/providers/cartesia/index.js';
import type { CartesiaTtsOptions } from '../../src/providers/cartesia/index.js';
import type { AudioSpec, TtsChunk, TtsOptions, WordTiming } from '../../src/providers/types.js';
import { ttsContract } from './contract.js';

const KEY = 'sk_car_test_0123456789';
const PCM24: AudioSpec = { encoding: 'pcm16', sampleRate: 24_000 };
/** espeak-ng speech sits far above this; silence and near-silence sit far below. */
const SPEECH_RMS_FLOOR = 500;

let emu: RunningEmulator;
const adapters: CartesiaTts[] = [];

function make(extra: Partial<CartesiaTtsOptions> = {}, baseUrl = emu.baseUrl): CartesiaTts {
  const tts = new CartesiaTts({ apiKey: KEY, baseUrl, ...extra });
  adapters.push(tts);
  return tts;
}

async function* from(items: string[], gapMs = 0): AsyncIterable<string> {
  for (const x of items) {
    if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    yield x;
  }
}

async function collect(
  tts: CartesiaTts,
  text: string[],
  opts: Partial<TtsOptions> = {},
  signal = new AbortController().signal,
): Promise<{ chunks: TtsChunk[]; pcm: Int16Array; words: WordTiming[] }> {
  const audio = opts.audio ?? PCM24;
  const chunks: TtsChunk[] = [];
  for await (const c of tts.synthesize(from(text), { voice: 'voice-1', speed: 1, ...opts, audio }, signal))
    chunks.push(c);
  const bytes = Buffer.concat(chunks.map((c) => c.audio));
  const pcm =
    audio.encoding === 'pcm16'
      ? bytesToPcm16(bytes)
      : audio.encoding === 'mulaw'
        ? decodeMulaw(bytes)
        : decodeAlaw(bytes);
  return { chunks, pcm, words: chunks.flatMap((c) => c.words ?? []) };
}

function rms(pcm: Int16Array): number {
  let sum = 0;
  for (const s of pcm) sum += s * s;
  return Math.sqrt(sum / Math.max(1, pcm.length));
}

beforeAll(async () => {
  emu = await startCartesiaEmulator({
    apiKey: KEY,
    latency: { firstAudioMs: 5, chunkMs: 40, realtimeFactor: Infinity },
  });
});

afterEach(() => emu.setFault(null));

afterAll(async () => {
  for (const a of adapters) a.close();
  await emu.close();
});

describe('cartesia.tts contract', () => ttsContract(() => make()));

describe('cartesia.tts speech', () => {
  it('speaks real speech: loud enough and as long as the words need', async () => {
    const tts = make();
    const short = await collect(tts, ['Hello world.']);
    const shortS = short.pcm.length / PCM24.sampleRate;
    expect(shortS).toBeGreaterThan(0.5);
    expect(shortS).toBeLessThan(1.5);
    expect(rms(short.pcm)).toBeGreaterThan(SPEECH_RMS_FLOOR);
    const long = await collect(tts, ['Hello world.', 'This sentence has quite a few more words in it.']);
    expect(long.pcm.length / PCM24.sampleRate).toBeGreaterThan(shortS * 3);
  });

  it('speaks G.711 at 8 kHz that decodes to speech', async () => {
    for (const encoding of ['mulaw', 'alaw'] as const) {
      const { pcm } = await collect(make(), ['Hello world.'], { audio: { encoding, sampleRate: 8000 } });
      expect(pcm.length / 8000).toBeGreaterThan(0.5);
      expect(rms(pcm)).toBeGreaterThan(SPEECH_RMS_FLOOR);
    }
  });

  it('times every word from the start of the stream, in order, within the audio', async () => {
    const { pcm, words } = await collect(make(), ['Hello there.', 'How are you today?']);
    expect(words.map((w) => w.word)).toEqual(['Hello', 'there.', 'How', 'are', 'you', 'today?']);
    const durationMs = (pcm.length * 1000) / PCM24.sampleRate;
    for (const [i, w] of words.entries()) {
      expect(w.endMs).toBeGreaterThanOrEqual(w.startMs);
      if (i > 0) expect(w.startMs).toBeGreaterThanOrEqual(words[i - 1]!.endMs - 1);
    }
    expect(words[0]!.startMs).toBe(0);
    // The second sentence is placed after the first one's audio, not restarted at 0.
    expect(words[2]!.startMs).toBeGreaterThan(500);
    expect(words.at(-1)!.endMs).toBeLessThanOrEqual(durationMs + 1);
  });

  it('joins trimmed pieces with a space, since Cartesia concatenates transcripts verbatim', async () => {
    const { words } = await collect(make(), ['A clause cut', 'at a space', ' and one with its own space.']);
    expect(words.map((w) => w.word)).toEqual([
      'A',
      'clause',
      'cut',
      'at',
      'a',
      'space',
      'and',
      'one',
      'with',
      'its',
      'own',
      'space.',
    ]);
  });

  it('speaks faster at a higher speed', async () => {
    const tts = make();
    const normal = await collect(tts, ['One two three four five six seven eight.']);
    const fast = await collect(tts, ['One two three four five six seven eight.'], { speed: 1.5 });
    expect(fast.pcm.length).toBeLessThan(normal.pcm.length * 0.8);
  });

  it('speaks Spanish with the es voice', async () => {
    const { pcm, words } = await collect(make(), ['Hola, ¿cómo estás?'], { language: 'es' });
    expect(rms(pcm)).toBeGreaterThan(SPEECH_RMS_FLOOR);
    expect(words.map((w) => w.word)).toEqual(['Hola,', '¿cómo', 'estás?']);
  });

  it('says nothing, and opens no context, for empty input', async () => {
    const { chunks } = await collect(make(), []);
    expect(chunks).toEqual([]);
  });
});

describe('cartesia.tts socket', () => {
  it('serves two responses on one socket', async () => {
    const tts = make();
    await collect(tts, ['First response.']);
    // A second handshake would be refused: the second response must reuse the open socket.
    emu.setFault({ kind: 'refuse_handshake', status: 503 });
    const second = await collect(tts, ['Second response.']);
    expect(rms(second.pcm)).toBeGreaterThan(SPEECH_RMS_FLOOR);
  });

  it('reaches a plain ws:// base URL too', async () => {
    const { pcm } = await collect(make({}, emu.baseUrl.replace('http://', 'ws://')), ['Hello.']);
    expect(pcm.length).toBeGreaterThan(0);
  });

  it('stops audio at once when aborted, and the socket serves the next response', async () => {
    const paced = await startCartesiaEmulator({
      apiKey: KEY,
      latency: { firstAudioMs: 5, chunkMs: 20, realtimeFactor: 1 },
    });
    try {
      const tts = make({}, paced.baseUrl);
      const ac = new AbortController();
      let after = 0;
      let abortedAt = 0;
      for await (const c of tts.synthesize(
        from(['This is a long sentence that takes several seconds to speak out loud.']),
        { audio: PCM24, voice: 'v', speed: 1 },
        ac.signal,
      )) {
        if (abortedAt) after++;
        if (c.audio.byteLength > 0 && !abortedAt) {
          ac.abort();
          abortedAt = Date.now();
        }
      }
      expect(after).toBe(0);
      expect(Date.now() - abortedAt).toBeLessThan(1000);
      emu.setFault({ kind: 'refuse_handshake', status: 503 });
      const next = await collect(tts, ['Next.'], {});
      expect(next.pcm.length).toBeGreaterThan(0);
    } finally {
      await paced.close();
    }
  });
});

describe('cartesia.tts faults', () => {
  it('turns a refused handshake into a clean error, and the process survives', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      emu.setFault({ kind: 'refuse_handshake', status: 401 }, 1);
      const err = await collect(make(), ['Hello.']).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/Cartesia connect failed: .*401/);
      expect((err as Error).message).not.toContain(KEY);
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
      // The next connection (fault used up) works.
      const ok = await collect(make(), ['Hello.']);
      expect(ok.pcm.length).toBeGreaterThan(0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('rejects a wrong key at the handshake without echoing it', async () => {
    const err: unknown = await collect(make({ apiKey: 'sk_wrong_secret' }), ['Hi.']).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/401/);
    expect((err as Error).message).not.toContain('sk_wrong_secret');
  });

  it('throws on an in-band error message', async () => {
    emu.setFault({ kind: 'error_message', message: 'Emulated overload.' }, 1);
    await expect(collect(make(), ['Hello.'])).rejects.toThrow(
      /Cartesia TTS error \(500 internal_error\): Emulated overload\./,
    );
  });

  it('throws when the socket closes mid-stream', async () => {
    const paced = await startCartesiaEmulator({
      apiKey: KEY,
      latency: { firstAudioMs: 5, chunkMs: 20, realtimeFactor: 1 },
    });
    try {
      paced.setFault({ kind: 'close_mid_stream', afterMs: 100, code: 1011, reason: 'boom' });
      await expect(
        collect(make({}, paced.baseUrl), ['This sentence is long enough to be cut off by the fault.']),
      ).rejects.toThrow(/closed mid-stream \(code 1011: boom\)/);
    } finally {
      await paced.close();
    }
  });

  it('throws when the service stalls after the handshake', async () => {
    emu.setFault({ kind: 'stall_after_headers' }, 1);
    await expect(collect(make({ stallTimeoutMs: 200 }), ['Hello.'])).rejects.toThrow(
      /sent nothing for 200 ms/,
    );
  });

  it('throws for a language the service cannot speak', async () => {
    await expect(collect(make(), ['Hello.'], { language: 'xx' })).rejects.toThrow(/invalid_language/);
  });
});

describe('cartesia.tts options', () => {
  it('validates its options without any I/O', () => {
    expect(() => new CartesiaTts({ apiKey: '' })).toThrow(/apiKey is required/);
    expect(() => new CartesiaTts({ apiKey: KEY, baseUrl: 'not a url' })).toThrow(/not a URL/);
    expect(() => new CartesiaTts({ apiKey: KEY, baseUrl: 'ftp://x' })).toThrow(/http\(s\)/);
    expect(() => new CartesiaTts({ apiKey: KEY, maxBufferDelayMs: 9000 })).toThrow(/maxBufferDelayMs/);
    expect(() => new CartesiaTts({ apiKey: KEY, baseUrl: 'http://127.0.0.1:1' })).not.toThrow();
  });

  it('refuses a rate Cartesia does not offer', async () => {
    await expect(
      collect(make(), ['Hi.'], { audio: { encoding: 'pcm16', sampleRate: 11_025 } }),
    ).rejects.toThrow(/cannot produce 11025 Hz/);
  });
});
