/** Audio chunks copied into blocks of their own: same bytes, fewer views, no slice of Node's pool kept. */
import { describe, expect, it } from 'vitest';
import { ByteBlocks, joinOwned, ownsBuffer } from '../../../src/audio/byte-blocks.js';
import { ReplayBuffer } from '../../../src/providers/deepgram/replay-buffer.js';
import { InputAudioBuffer } from '../../../src/session/input-audio-buffer.js';

/** A small Buffer cut from Node's shared pool, as a decoded append is. */
const pooled = (bytes: number[]) => Buffer.from(Buffer.from(bytes).toString('base64'), 'base64');
const bytesOf = (chunks: readonly Uint8Array[]) => Array.from(joinOwned(chunks));

describe('ByteBlocks', () => {
  it('copies small chunks, so changing or freeing the source does not touch them', () => {
    const blocks = new ByteBlocks(64);
    const chunks: Uint8Array[] = [];
    const src = pooled([1, 2, 3, 4]);
    expect(src.buffer.byteLength).toBeGreaterThan(src.byteLength);
    blocks.appendTo(chunks, src);
    src.fill(9);
    expect(bytesOf(chunks)).toEqual([1, 2, 3, 4]);
    expect(chunks[0]!.buffer).not.toBe(src.buffer);
  });

  it('joins consecutive chunks into one view per block, and starts a new block when one is full', () => {
    const blocks = new ByteBlocks(16);
    const chunks: Uint8Array[] = [];
    const want: number[] = [];
    for (let i = 0; i < 10; i++) {
      const c = pooled([i, i, i]);
      blocks.appendTo(chunks, c);
      want.push(i, i, i);
    }
    // Five 3-byte chunks fill 15 of a block's 16 bytes; the sixth starts the next block.
    expect(chunks.map((c) => c.byteLength)).toEqual([15, 15]);
    expect(bytesOf(chunks)).toEqual(want);
  });

  it('never writes over a view it handed out to another list', () => {
    const blocks = new ByteBlocks(16);
    const first: Uint8Array[] = [];
    blocks.appendTo(first, pooled([1, 2]));
    const second: Uint8Array[] = [];
    blocks.appendTo(second, pooled([3, 4]));
    expect(second).toHaveLength(1);
    expect(bytesOf(first)).toEqual([1, 2]);
    expect(bytesOf(second)).toEqual([3, 4]);
  });

  it('keeps a chunk that owns its whole buffer, and gives a large slice an array of its own', () => {
    const blocks = new ByteBlocks(16);
    const chunks: Uint8Array[] = [];
    const owned = new Uint8Array([5, 6, 7]);
    blocks.appendTo(chunks, owned);
    expect(chunks[0]).toBe(owned);
    const big = new Uint8Array(32).fill(8).subarray(4, 24);
    blocks.appendTo(chunks, big);
    expect(chunks[1]!.buffer).not.toBe(big.buffer);
    expect(chunks[1]!.byteLength).toBe(20);
    expect(bytesOf(chunks)).toEqual([5, 6, 7, ...new Array<number>(20).fill(8)]);
  });
});

describe('joinOwned', () => {
  const chunks = [new Uint8Array([0, 1, 2]), new Uint8Array([3]), new Uint8Array([4, 5, 6, 7])];

  it('copies any byte range of the joined chunks into an array of its own', () => {
    const all = [0, 1, 2, 3, 4, 5, 6, 7];
    for (let from = 0; from <= 8; from++)
      for (let to = from; to <= 9; to++) {
        const got = joinOwned(chunks, from, to);
        expect(Array.from(got)).toEqual(all.slice(from, to));
        expect(ownsBuffer(got)).toBe(true);
      }
    expect(Array.from(joinOwned(chunks, 5))).toEqual([5, 6, 7]);
    expect(joinOwned(chunks, 9).byteLength).toBe(0);
  });
});

describe('buffers that hold audio for a turn', () => {
  it('the input audio buffer keeps no slice of the pool, through take, takeRange and copyFrom', () => {
    const held = new InputAudioBuffer(8, 10_000, 1);
    const first = Array.from({ length: 5 }, (_, i) => pooled(new Array<number>(160).fill(i)));
    for (const a of first) held.append(a);
    const taken = held.take();
    expect(taken.some((c) => first.some((a) => a.buffer === c.buffer))).toBe(false);
    expect(bytesOf(taken)).toEqual(first.flatMap((a) => Array.from(a)));

    const input = new InputAudioBuffer(8, 10_000, 1);
    const appends = Array.from({ length: 50 }, (_, i) => pooled(new Array<number>(160).fill(i)));
    for (const a of appends) input.append(a);
    const pools = new Set(appends.map((a) => a.buffer));
    const kept = input.takeRange(0, 500);
    expect(kept.byteLength).toBe(4000);
    expect(pools.has(kept.buffer as ArrayBuffer)).toBe(false);
    expect(pools.has(input.copyFrom(500).buffer as ArrayBuffer)).toBe(false);
    const rest = input.take();
    expect(rest.some((c) => pools.has(c.buffer as ArrayBuffer))).toBe(false);
    expect(bytesOf([kept, ...rest])).toEqual(appends.flatMap((a) => Array.from(a)));
  });

  it('takeRange and copyFrom give arrays of their own, holding only the audio asked for', () => {
    // Owned, a turn's audio goes into its item as it is (conversation.ts copies anything else).
    const input = new InputAudioBuffer(8, 10_000, 1);
    for (let i = 0; i < 50; i++) input.append(pooled(new Array<number>(160).fill(i)));
    const from = input.copyFrom(900);
    expect(ownsBuffer(from)).toBe(true);
    expect(from.byteLength).toBe(800);
    expect(from[0]).toBe(45);
    const turn = input.takeRange(100, 500);
    expect(ownsBuffer(turn)).toBe(true);
    expect([turn.byteLength, turn[0], turn[turn.byteLength - 1]]).toEqual([3200, 5, 24]);
    const rest = input.take();
    expect(rest.every(ownsBuffer)).toBe(true);
    expect(bytesOf(rest)).toHaveLength(4000);
    expect(rest[0]![0]).toBe(25);
  });

  it('the STT replay buffer keeps no slice of the pool and replays the same bytes', () => {
    const replay = new ReplayBuffer(10_000, 2);
    const frames = Array.from({ length: 8 }, (_, i) => pooled(new Array<number>(800).fill(i)));
    for (const f of frames) replay.add(f);
    replay.finalizedUpTo(1600);
    const again = replay.restart();
    expect(again.some((c) => frames.some((f) => f.buffer === c.buffer))).toBe(false);
    expect(bytesOf(again)).toEqual(frames.slice(2).flatMap((f) => Array.from(f)));
  });
});
