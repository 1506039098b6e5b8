/** Cartesia connection edge cases: a handshake that never completes, and a session ending mid-handshake. */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CartesiaTts } from '../../src/providers/cartesia/index.js';

let server: Server | undefined;
const sockets: Socket[] = [];
const closed = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A TCP server that accepts connections and never answers: a wedged on-prem endpoint. */
async function silentServer(): Promise<number> {
  server = createServer((s) => {
    s.resume();
    s.on('close', () => closed.add(s));
    sockets.push(s);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server!.address() as { port: number }).port;
}

async function* pieces(...texts: string[]): AsyncIterable<string> {
  yield* texts;
}

const SPEC = { audio: { encoding: 'pcm16' as const, sampleRate: 24_000 }, voice: 'v', speed: 1 };

describe('cartesia connection', () => {
  it('a plain http:// endpoint that never completes the handshake fails within connectTimeoutMs', async () => {
    const port = await silentServer();
    const tts = new CartesiaTts({ apiKey: 'k', baseUrl: `http://127.0.0.1:${port}`, connectTimeoutMs: 300 });
    const t0 = Date.now();
    await expect(
      (async () => {
        for await (const _ of tts.synthesize(pieces('Hello.'), SPEC, new AbortController().signal)) void _;
      })(),
    ).rejects.toThrow(/handshake not completed within 300 ms/);
    expect(Date.now() - t0).toBeLessThan(2_000);
    tts.close();
  });

  it('a session that ends during the handshake leaves no socket behind', async () => {
    const port = await silentServer();
    const tts = new CartesiaTts({
      apiKey: 'k',
      baseUrl: `http://127.0.0.1:${port}`,
      connectTimeoutMs: 5_000,
    });
    const ac = new AbortController();
    const run = (async () => {
      for await (const _ of tts.synthesize(pieces('Hello.'), SPEC, ac.signal)) void _;
    })();
    await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    tts.close();
    await run;
    // The client side of the pending handshake is closed: the server sees its socket end.
    await new Promise((r) => setTimeout(r, 100));
    expect(sockets.length).toBe(1);
    expect(closed.has(sockets[0]!)).toBe(true);
  });
});
