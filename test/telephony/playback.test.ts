/** Framing, marks and the heard position, on a controlled clock. */
import { describe, expect, it } from 'vitest';
import { FRAME_BYTES, Playback } from '../../src/telephony/playback.js';
import type { PlaybackOut } from '../../src/telephony/playback.js';

function clock() {
  let t = 1_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}
const media = (out: PlaybackOut[]) => out.filter((m) => m.kind === 'media');
const marks = (out: PlaybackOut[]) => out.flatMap((m) => (m.kind === 'mark' ? [m.name] : []));

describe('Playback', () => {
  it('cuts audio into 20 ms frames across pushes, with a mark every 100 ms and at the end', () => {
    const p = new Playback(clock().now);
    const a = p.push('item_1', new Uint8Array(250));
    expect(media(a)).toHaveLength(1);
    const b = p.push('item_1', new Uint8Array(700));
    // 950 bytes: 5 whole frames so far (800), 150 left over.
    expect(media(b)).toHaveLength(4);
    expect(marks([...a, ...b])).toHaveLength(1);
    const end = p.end('item_1');
    expect(media(end)).toHaveLength(1);
    expect(Buffer.from((media(end)[0] as { payload: string }).payload, 'base64')).toHaveLength(150);
    expect(marks(end)).toHaveLength(1);
    for (const m of media([...a, ...b]))
      expect(Buffer.from((m as { payload: string }).payload, 'base64')).toHaveLength(FRAME_BYTES);
  });

  it('knows what was heard from echoed marks and the clock, and clears at that point', () => {
    const c = clock();
    const p = new Playback(c.now);
    const out = p.push('item_1', new Uint8Array(8_000)); // 1 s
    expect(p.playing).toBe(true);
    c.advance(300);
    expect(p.heard()).toEqual({ itemId: 'item_1', audioEndMs: 300 });
    // Twilio says the first 200 ms played; 50 ms later the caller has heard 250 ms.
    p.onMark(marks(out)[1]!);
    c.advance(50);
    expect(p.heard()).toEqual({ itemId: 'item_1', audioEndMs: 250 });
    expect(p.clear()).toEqual({ itemId: 'item_1', audioEndMs: 250 });
    expect(p.playing).toBe(false);
    // Marks of the cleared audio, echoed by Twilio after the clear, change nothing.
    p.onMark(marks(out)[5]!);
    expect(p.heard()).toBeNull();
  });

  it('is not playing once everything sent has been heard, so a barge-in then cuts nothing', () => {
    const c = clock();
    const p = new Playback(c.now);
    p.push('item_1', new Uint8Array(1_600));
    p.end('item_1');
    c.advance(250);
    expect(p.playing).toBe(false);
    expect(p.clear()).toBeNull();
  });

  it('starts a later item where the earlier one ends by the clock', () => {
    const c = clock();
    const p = new Playback(c.now);
    p.push('item_1', new Uint8Array(1_600)); // 200 ms
    p.end('item_1');
    p.push('item_2', new Uint8Array(1_600));
    c.advance(300);
    expect(p.heard()).toEqual({ itemId: 'item_2', audioEndMs: 100 });
  });

  it('restarts its clock when the audio resumes after the queue ran dry, so a barge-in still clears', () => {
    const c = clock();
    const p = new Playback(c.now);
    const first = p.push('item_1', new Uint8Array(8_000)); // 1 s
    c.advance(1_000);
    p.onMark(marks(first).at(-1)!); // the first second has played
    c.advance(3_000); // the next sentence is slow: 3 s of silence on the line
    p.push('item_1', new Uint8Array(16_000)); // 2 s more
    c.advance(100); // the caller talks 100 ms into it
    expect(p.playing).toBe(true);
    expect(p.clear()).toEqual({ itemId: 'item_1', audioEndMs: 1_100 });
  });
});
