import { describe, expect, it } from 'vitest';
import { Pcm16Framer } from '../../../src/audio/framer.js';

describe('Pcm16Framer', () => {
  it('cuts chunks of any size into whole frames, in order, none written again', () => {
    const framer = new Pcm16Framer(4);
    const frames: Int16Array[] = [];
    const input = Int16Array.from({ length: 23 }, (_, i) => i);
    for (const [from, to] of [
      [0, 3],
      [3, 3],
      [3, 12],
      [12, 13],
      [13, 23],
    ] as const)
      framer.push(input.subarray(from, to), (f) => frames.push(f));
    // 23 samples: five frames, three held.
    expect(frames.map((f) => Array.from(f))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10, 11],
      [12, 13, 14, 15],
      [16, 17, 18, 19],
    ]);
    expect(framer.held).toBe(3);
    framer.push(Int16Array.from([23]), (f) => frames.push(f));
    expect(Array.from(frames[5]!)).toEqual([20, 21, 22, 23]);
    expect(framer.held).toBe(0);
  });

  it('leaves every frame it handed over as it was, across slabs', () => {
    const framer = new Pcm16Framer(3);
    const frames: Int16Array[] = [];
    // 100 frames: many slabs' worth, each pushed over two calls.
    for (let i = 0; i < 100; i++) {
      framer.push(Int16Array.from([i, i]), (f) => frames.push(f));
      framer.push(Int16Array.from([100 + i]), (f) => frames.push(f));
    }
    expect(frames.map((f) => Array.from(f))).toEqual(Array.from({ length: 100 }, (_, i) => [i, i, 100 + i]));
  });
});
