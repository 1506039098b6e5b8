/**
 * The Deepgram adapter through the real `@deepgram/sdk` v5 against the loopback emulator: the STT
 * contract, transcripts from the script and the placeholder, event order, and the faults (a drop
 * mid-utterance still gives the whole transcript, through replay).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDeepgramEmulator } from '../../src/emulators/deepgram/index.js';
import type { DeepgramEmulator } from '../../src/emulators/deepgram/index.js';
import { DeepgramStt } from '../../src/providers/deepgram/index.js';
import type { DeepgramSttOptions } from '../../src/providers/deepgram/index.js';
import type { AudioSpec } from '../../src/providers/types.js';
import { sttContract } from './contract.js';
import { chunked, collect, finals, paced, toneBursts } from './deepgram-audio.js';

const KEY = 'dg-test-key-5f1c9a';
const PCM24: AudioSpec = { encoding: 'pcm16', sampleRate: 24_000 };
const MULAW8: AudioSpec = { encoding: 'mulaw', sampleRate: 8_000 };
const SCRIPT = ['What is the weather like today?', 'Call me a taxi, please.', 'Thanks.'];

let emu: DeepgramEmulator;

function stt(extra: Partial<DeepgramSttOptions> = {}): DeepgramStt {
  return new DeepgramStt({ apiKey: KEY, baseUrl: emu.baseUrl, finishTimeoutMs: 2_000, ...extra });
}

describe('deepgram.stt contract (SDK -> emulator)', () => {
  beforeAll(async () => {
    emu = await startDeepgramEmulator({ apiKey: KEY, latency: { sttFinalMs: 5 } });
  });
  afterAll(() => emu.close());
  sttContract(() => stt());
});

describe('deepgram.stt transcripts', () => {
  beforeAll(async () => {
    emu = await startDeepgramEmulator({ apiKey: KEY, script: SCRIPT, latency: { sttFinalMs: 5 } });
  });
  afterAll(() => emu.close());

  it('transcribes two utterances of PCM16 24 kHz and one of μ-law 8 kHz from the script, in order', async () => {
    const pcm = toneBursts(PCM24, [200, 800, 600, 500, 400]);
    const first = await collect(stt(), PCM24, paced(chunked(PCM24, pcm)));
    expect(finals(first)).toEqual([SCRIPT[0], SCRIPT[1]]);
    const ulaw = toneBursts(MULAW8, [200, 700, 500]);
    const second = await collect(stt(), MULAW8, paced(chunked(MULAW8, ulaw)));
    expect(finals(second)).toEqual([SCRIPT[2]]);
  });

  it('past the script, gives the placeholder with the utterance duration', async () => {
    const audio = toneBursts(MULAW8, [100, 1_240, 400]);
    expect(finals(await collect(stt(), MULAW8, paced(chunked(MULAW8, audio))))).toEqual([
      '[1.24 seconds of speech]',
    ]);
  });
});

describe('deepgram.stt events', () => {
  beforeAll(async () => {
    emu = await startDeepgramEmulator({
      apiKey: KEY,
      script: ['one two three four five'],
      latency: { sttFinalMs: 5 },
    });
  });
  afterAll(() => emu.close());

  it('reports interims, then the final, then the utterance end; language detection reports a language', async () => {
    const audio = toneBursts(PCM24, [200, 1_200, 1_300]);
    const events = await collect(stt({ utteranceEndMs: 1_000 }), PCM24, paced(chunked(PCM24, audio)), {
      language: 'multi',
    });
    const kinds = events.map((e) => e.type);
    const firstFinal = kinds.indexOf('final');
    expect(kinds.slice(0, firstFinal).every((k) => k === 'interim')).toBe(true);
    expect(firstFinal).toBeGreaterThanOrEqual(2);
    expect(kinds[firstFinal + 1]).toBe('utterance_end');
    expect(events[firstFinal]).toEqual({ type: 'final', text: 'one two three four five', language: 'en' });
    // Interims grow word by word towards the final.
    const interims = events.filter((e) => e.type === 'interim').map((e) => (e as { text: string }).text);
    expect(interims[0]).toBe('one two');
    expect('one two three four five'.startsWith(interims.at(-1)!)).toBe(true);
  });
});

describe('deepgram.stt faults', () => {
  beforeAll(async () => {
    emu = await startDeepgramEmulator({ apiKey: KEY, latency: { sttFinalMs: 5 }, idleTimeoutMs: 400 });
  });
  afterAll(() => emu.close());
  afterEach(() => emu.setFault(null));

  // 300 ms of silence, a 1 s utterance, 500 ms of silence; the audio pauses 500 ms half-way through the tone.
  const audio = chunked(PCM24, toneBursts(PCM24, [300, 1_000, 500]));
  const midTone = 40;

  it('a drop mid-utterance still yields the whole utterance: the audio is replayed on a new connection', async () => {
    emu.setFault({ kind: 'close_mid_stream', afterMs: 100 }, 1);
    const before = emu.connections;
    const events = await collect(stt(), PCM24, paced(audio, { after: midTone, ms: 500 }));
    expect(emu.connections - before).toBe(2);
    // The placeholder tells how much speech the final covers: all of it, not the part after the drop.
    expect(finals(events)).toEqual(['[1.00 seconds of speech]']);
  });

  it('the same drop without reconnects fails with the close code, not silently', async () => {
    emu.setFault({ kind: 'close_mid_stream', afterMs: 100, code: 1011, reason: 'NET-0000' }, 1);
    await expect(
      collect(stt({ maxReconnects: 0 }), PCM24, paced(audio, { after: midTone, ms: 500 })),
    ).rejects.toThrow(/Deepgram dropped the stream \(1011 NET-0000\)/);
  });

  it('fails once the reconnects are used up', async () => {
    emu.setFault({ kind: 'close_mid_stream', afterMs: 0 });
    const before = emu.connections;
    await expect(
      collect(stt({ maxReconnects: 2 }), PCM24, paced(audio, { after: midTone, ms: 800 })),
    ).rejects.toThrow(/2 reconnect\(s\) failed/);
    expect(emu.connections - before).toBe(3);
  });

  it('a data error (1008 DATA-0000) is not retried', async () => {
    emu.setFault({ kind: 'error_message' }, 1);
    const before = emu.connections;
    await expect(collect(stt(), PCM24, paced(audio))).rejects.toThrow(/1008 DATA-0000/);
    expect(emu.connections - before).toBe(1);
  });

  it('a refused handshake throws a clear error without the key', async () => {
    const wrongKey = 'dg-wrong-secret-0042';
    const err = await collect(stt({ apiKey: wrongKey }), PCM24, paced(audio)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/Deepgram refused the connection: .*401/);
    expect((err as Error).message).not.toContain(wrongKey);
    emu.setFault({ kind: 'refuse_handshake', status: 503 }, 1);
    await expect(collect(stt(), PCM24, paced(audio))).rejects.toThrow(/refused the connection: .*503/);
  });

  it('a server that accepts and then stalls times out with an error', async () => {
    emu.setFault({ kind: 'stall_after_headers' }, 1);
    const t0 = Date.now();
    await expect(collect(stt({ finishTimeoutMs: 300 }), PCM24, paced(audio))).rejects.toThrow(
      /did not finish the transcript within 300 ms/,
    );
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('KeepAlive holds the stream open through a pause longer than the idle timeout', async () => {
    const before = emu.connections;
    const events = await collect(stt({ keepAliveMs: 100 }), PCM24, paced(audio, { after: 5, ms: 900 }));
    expect(emu.connections - before).toBe(1);
    expect(finals(events)).toEqual(['[1.00 seconds of speech]']);
  });
});
