/**
 * Audio messages that are already queued when the consumer reads come out as one chunk (one
 * client delta instead of several), up to the byte cap; a message that arrives alone is handed on
 * alone, at once. Nothing is lost, reordered or split on the way.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CartesiaStream } from '../../src/providers/cartesia/stream.js';
import type { CartesiaEvent } from '../../src/providers/cartesia/stream.js';

const ID = 'ctx';
const signal = new AbortController().signal;

/** An audio message of `n` bytes, each byte `fill` (so joins can be checked byte for byte). */
function chunk(n: number, fill: number): CartesiaEvent {
  return { type: 'chunk', context_id: ID, data: '', audio: new Uint8Array(n).fill(fill) };
}

/** Every chunk the stream yields until it ends, as arrays of bytes. */
async function drain(stream: CartesiaStream): Promise<number[][]> {
  const out: number[][] = [];
  for (let c = await stream.next(signal); c; c = await stream.next(signal)) out.push([...c.audio]);
  return out;
}

describe('CartesiaStream chunk joining', () => {
  it('joins audio messages queued together, in order, up to the cap', async () => {
    const stream = new CartesiaStream(false, 5_000, 10);
    for (let i = 1; i <= 5; i++) stream.push(chunk(4, i));
    stream.push({ type: 'done', context_id: ID });
    const got = await drain(stream);
    // 4 + 4 fits in 10 bytes, a third would not: pairs, then the one left.
    expect(got.map((c) => c.length)).toEqual([8, 8, 4]);
    expect(got.flat()).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5]);
  });

  it('hands on a message that arrives alone at once, without waiting for more', async () => {
    const stream = new CartesiaStream(false, 5_000, 1_000);
    stream.push(chunk(4, 1));
    const first = await stream.next(signal);
    expect(first?.audio.byteLength).toBe(4);
    // The next read waits for the next message and takes it as it is.
    const second = stream.next(signal);
    stream.push(chunk(6, 2));
    expect((await second)?.audio.byteLength).toBe(6);
  });

  it('does not join across word timings, and never splits a message larger than the cap', async () => {
    const stream = new CartesiaStream(false, 5_000, 8);
    stream.push(chunk(3, 1));
    stream.push({
      type: 'timestamps',
      context_id: ID,
      word_timestamps: { words: ['hi'], start: [0], end: [0.1] },
    });
    stream.push(chunk(3, 2));
    stream.push(chunk(20, 3));
    stream.push({ type: 'done', context_id: ID });
    const lengths: (number | string)[] = [];
    for (let c = await stream.next(signal); c; c = await stream.next(signal))
      lengths.push(c.words ? `words:${c.words.length}` : c.audio.byteLength);
    expect(lengths).toEqual([3, 'words:1', 3, 20]);
  });

  it('keeps PCM16 chunks whole samples when odd-length messages are joined', async () => {
    const stream = new CartesiaStream(true, 5_000, 100);
    stream.push(chunk(3, 1));
    stream.push(chunk(3, 2));
    stream.push(chunk(3, 3));
    const first = await stream.next(signal);
    // 9 bytes joined: 8 go out, the odd byte waits for the next message.
    expect([...first!.audio]).toEqual([1, 1, 1, 2, 2, 2, 3, 3]);
    stream.push(chunk(1, 4));
    stream.push({ type: 'done', context_id: ID });
    expect(await drain(stream)).toEqual([[3, 4]]);
  });
});

describe('CartesiaStream abort', () => {
  it('wakes a waiting read on abort, with one listener for the whole stream', async () => {
    const ac = new AbortController();
    const stream = new CartesiaStream(false, 5_000, 0);
    for (let i = 0; i < 3; i++) {
      const read = stream.next(ac.signal);
      stream.push(chunk(2, i));
      expect((await read)?.audio.byteLength).toBe(2);
    }
    // Three waits, one listener: not an add and a remove per audio message.
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    const waiting = stream.next(ac.signal);
    ac.abort();
    expect(await waiting).toBeNull();
    stream.close();
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('drops its listener when the consumer leaves', async () => {
    const ac = new AbortController();
    const stream = new CartesiaStream(false, 5_000, 0);
    const read = stream.next(ac.signal);
    stream.close();
    expect(await read).toBeNull();
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});
