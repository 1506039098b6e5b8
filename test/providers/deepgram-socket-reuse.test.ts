/**
 * The Deepgram adapter keeps a cleanly finished socket for the session's next transcription
 * (socket-pool.ts): one connection serves turn after turn, each with its own transcript, while a
 * socket whose transcription was cut short, or that was kept too long, is not reused.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDeepgramEmulator } from '../../src/emulators/deepgram/index.js';
import type { DeepgramEmulator } from '../../src/emulators/deepgram/index.js';
import { DeepgramStt } from '../../src/providers/deepgram/index.js';
import type { DeepgramSttOptions } from '../../src/providers/deepgram/index.js';
import type { AudioSpec } from '../../src/providers/types.js';
import { waitUntil } from '../helpers/http.js';
import { chunked, collect, finals, paced, toneBursts } from './deepgram-audio.js';

const KEY = 'dg-reuse-key-7d21';
const MULAW8: AudioSpec = { encoding: 'mulaw', sampleRate: 8_000 };
const PCM24: AudioSpec = { encoding: 'pcm16', sampleRate: 24_000 };
const SCRIPT = ['first turn', 'second turn', 'third turn', 'fourth turn'];

let emu: DeepgramEmulator;

function stt(extra: Partial<DeepgramSttOptions> = {}): DeepgramStt {
  return new DeepgramStt({ apiKey: KEY, baseUrl: emu.baseUrl, finishTimeoutMs: 2_000, ...extra });
}

/** A turn: silence, 700 ms of speech, silence shorter than the endpointing (the Finalize ends it). */
const turn = (spec: AudioSpec) => paced(chunked(spec, toneBursts(spec, [200, 700, 100])));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('deepgram.stt socket reuse', () => {
  beforeAll(async () => {
    emu = await startDeepgramEmulator({
      apiKey: KEY,
      latency: { sttFinalMs: 5 },
      idleTimeoutMs: 400,
      script: SCRIPT,
    });
  });
  afterAll(() => emu.close());
  beforeEach(async () => {
    // No stream left open by the test before.
    await waitUntil(() => emu.openConnections === 0);
  });

  it("one socket serves a session's turns in a row, each with its own transcript; other audio settings get their own", async () => {
    let told = 0;
    const stage = stt({ onConnection: () => told++ });
    const before = emu.connections;
    const transcripts: string[][] = [];
    for (let i = 0; i < 3; i++) transcripts.push(finals(await collect(stage, MULAW8, turn(MULAW8))));
    expect(emu.connections - before).toBe(1);
    expect(emu.openConnections).toBe(1);
    transcripts.push(finals(await collect(stage, PCM24, turn(PCM24))));
    expect(emu.connections - before).toBe(2);
    expect(told).toBe(2); // the metrics' count of new sockets
    // The n-th final with speech the emulator sends is line n of its script.
    expect(transcripts).toEqual(SCRIPT.map((line) => [line]));
    stage.close();
    await waitUntil(() => emu.openConnections === 0);
  });

  it("a turn's utterance end left over from the previous turn on the same socket is not passed on", async () => {
    const stage = stt({ utteranceEndMs: 1_000 });
    await collect(stage, MULAW8, turn(MULAW8));
    const before = emu.connections;
    // 1.2 s of silence first: the emulator owes the previous turn's UtteranceEnd and sends it then.
    const audio = paced(chunked(MULAW8, toneBursts(MULAW8, [1_200, 600, 1_300])));
    const events = await collect(stage, MULAW8, audio);
    expect(emu.connections - before).toBe(0);
    const kinds = events.map((e) => e.type).filter((k) => k !== 'interim');
    expect(kinds).toEqual(['final', 'utterance_end', 'final']);
    stage.close();
  });

  it('a transcription cut short does not leave its socket for the next', async () => {
    const stage = stt();
    const ac = new AbortController();
    const before = emu.connections;
    const cut = (async function* () {
      let n = 0;
      for await (const chunk of turn(MULAW8)) {
        if (++n === 20) ac.abort();
        yield chunk;
      }
    })();
    await collect(stage, MULAW8, cut, { signal: ac.signal });
    expect(finals(await collect(stage, MULAW8, turn(MULAW8)))).toHaveLength(1);
    expect(emu.connections - before).toBe(2);
    stage.close();
  });

  it('maxIdleSockets 0 opens a socket per transcription', async () => {
    const stage = stt({ maxIdleSockets: 0 });
    const before = emu.connections;
    await collect(stage, MULAW8, turn(MULAW8));
    await collect(stage, MULAW8, turn(MULAW8));
    expect(emu.connections - before).toBe(2);
    await waitUntil(() => emu.openConnections === 0);
  });

  it("a kept socket outlives the server's idle timeout with KeepAlive, and is closed after idleSocketMs", async () => {
    const stage = stt({ keepAliveMs: 100, idleSocketMs: 1_500 });
    const before = emu.connections;
    await collect(stage, MULAW8, turn(MULAW8));
    // Twice the emulator's 400 ms NET-0001 window.
    await sleep(800);
    expect(emu.openConnections).toBe(1);
    await collect(stage, MULAW8, turn(MULAW8));
    expect(emu.connections - before).toBe(1);
    await waitUntil(() => emu.openConnections === 0, 3_000);
    await collect(stage, MULAW8, turn(MULAW8));
    expect(emu.connections - before).toBe(2);
    stage.close();
  });

  it('close() closes the kept sockets, and later transcriptions connect anew', async () => {
    const stage = stt({ keepAliveMs: 100 });
    const before = emu.connections;
    await collect(stage, MULAW8, turn(MULAW8));
    // Past the emulator's idle timeout: the socket is still open only because it is kept.
    await sleep(600);
    expect(emu.openConnections).toBe(1);
    stage.close();
    await waitUntil(() => emu.openConnections === 0);
    expect(finals(await collect(stage, MULAW8, turn(MULAW8)))).toHaveLength(1);
    expect(emu.connections - before).toBe(2);
    await waitUntil(() => emu.openConnections === 0);
  });
});
