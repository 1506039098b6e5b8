/**
 * Kept audio does not pin Node's shared Buffer pool: small decoded chunks (20 ms appends, TTS
 * chunks) are slices of 8 KiB slabs, so the conversation keeps one copy of its own per item.
 */
import { describe, expect, it } from 'vitest';
import type { Item } from '../../protocol/realtime/index.js';
import { Conversation } from '../../src/session/conversation.js';
import type { Entry } from '../../src/session/conversation.js';

const item = (id: string): Item =>
  ({ id, type: 'message', object: 'realtime.item', role: 'user', status: 'completed', content: [] }) as Item;

describe('conversation audio', () => {
  it('keeps pooled chunks as one buffer of its own, bytes unchanged', () => {
    const chunks = Array.from({ length: 5 }, (_, i) =>
      Buffer.from(Buffer.alloc(160, i + 1).toString('base64'), 'base64'),
    );
    // The premise: each chunk is a slice of a larger shared slab.
    expect(chunks[0]!.buffer.byteLength).toBeGreaterThan(160);
    const conv = new Conversation(100, 1_000_000);
    const entry: Entry = { item: item('item_a'), extras: {} };
    conv.insert(entry);
    conv.setAudio(entry, chunks, 8);
    const kept = entry.extras.audio!;
    expect(kept).toHaveLength(1);
    expect(kept[0]!.buffer.byteLength).toBe(800);
    expect(Buffer.from(kept[0]!)).toEqual(Buffer.concat(chunks));
    expect(entry.extras.audioMs).toBe(100);
  });

  it('drops the word timings of an item whose audio the budget dropped', () => {
    const conv = new Conversation(100, 1_000);
    const old: Entry = {
      item: item('item_old'),
      extras: { words: [{ word: 'hi', startMs: 0, endMs: 100 }] },
    };
    const next: Entry = {
      item: item('item_next'),
      extras: { words: [{ word: 'yo', startMs: 0, endMs: 100 }] },
    };
    conv.insert(old);
    conv.setAudio(old, [new Uint8Array(800)], 8);
    conv.insert(next);
    conv.setAudio(next, [new Uint8Array(800)], 8);
    expect(old.extras.audio).toBeUndefined();
    expect(old.extras.words).toBeUndefined();
    expect(old.extras.audioMs).toBe(100);
    expect(next.extras.words).toHaveLength(1);
  });
});
