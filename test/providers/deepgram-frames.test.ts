/**
 * Audio reaches Deepgram in frames of about 100 ms, not one frame per 20 ms append, and a flush
 * sends the audio held so far before its Finalize. A bare `ws` server stands in for Deepgram so
 * the test sees every frame exactly as the real SDK sends it.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { DeepgramStt } from '../../src/providers/deepgram/index.js';
import { FRAME_MS } from '../../src/providers/deepgram/stt.js';
import { STT_FLUSH } from '../../src/providers/types.js';
import type { AudioSpec } from '../../src/providers/types.js';
import { Channel } from '../../src/util/channel.js';

const MULAW8: AudioSpec = { encoding: 'mulaw', sampleRate: 8_000 };
/** One 20 ms append of μ-law 8 kHz. */
const CHUNK = 160;

/** What the server saw, in order: a frame's byte count, or a control message's type. */
type Seen = number | string;

let wss: WebSocketServer;
let seen: Seen[];

beforeEach(async () => {
  seen = [];
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return void seen.push((data as Buffer).byteLength);
      const type = (JSON.parse(String(data)) as { type: string }).type;
      seen.push(type);
      if (type === 'Finalize')
        ws.send(
          JSON.stringify({
            type: 'Results',
            is_final: true,
            from_finalize: true,
            start: 0,
            duration: 0,
            channel: { alternatives: [{ transcript: '' }] },
          }),
        );
      if (type === 'CloseStream') ws.close(1000);
    });
  });
  await once(wss, 'listening');
});
afterEach(async () => {
  for (const c of wss.clients) c.terminate();
  await new Promise((r) => wss.close(r));
});

function stt(): DeepgramStt {
  const { port } = wss.address() as AddressInfo;
  return new DeepgramStt({ apiKey: 'k', baseUrl: `http://127.0.0.1:${port}`, finishTimeoutMs: 1_000 });
}

/** Runs a transcription over `audio` (pushed by the test) until the server closed. */
async function run(feed: (audio: Channel<Uint8Array>) => Promise<void>): Promise<void> {
  const audio = new Channel<Uint8Array>(1_000);
  const done = (async () => {
    for await (const _ of stt().transcribe(audio, { audio: MULAW8 }, new AbortController().signal));
  })();
  await feed(audio);
  audio.close();
  await done;
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
};

describe('deepgram.stt frames', () => {
  it('sends 20 ms appends as 100 ms frames', async () => {
    await run(async (audio) => {
      for (let i = 0; i < 25; i++) audio.push(new Uint8Array(CHUNK));
    });
    const frames = seen.filter((s) => typeof s === 'number');
    expect(frames).toEqual([800, 800, 800, 800, 800]);
    expect(FRAME_MS).toBe(100);
  });

  it('sends the held audio before a Finalize, and what is left before the end', async () => {
    await run(async (audio) => {
      for (let i = 0; i < 7; i++) audio.push(new Uint8Array(CHUNK));
      audio.push(STT_FLUSH);
      await until(() => seen.includes('Finalize'));
      audio.push(new Uint8Array(CHUNK));
    });
    expect(seen).toEqual([800, 320, 'Finalize', 160, 'Finalize', 'CloseStream']);
  });

  it('sends held audio after at most 100 ms when the appends stop', async () => {
    await run(async (audio) => {
      audio.push(new Uint8Array(CHUNK));
      const t = performance.now();
      await until(() => seen.length > 0);
      expect(seen).toEqual([160]);
      expect(performance.now() - t).toBeLessThan(1_000);
    });
  });
});
