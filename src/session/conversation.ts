/**
 * The default conversation: ordered items with their ids, plus what the wire item does not carry
 * (audio bytes, word timings, the transcript the LLM sees).
 */
import type { Item } from '../../protocol/realtime/index.js';
import { joinOwned, ownsBuffer } from '../audio/byte-blocks.js';
import type { WordTiming } from '../providers/types.js';
import { newId } from '../util/ids.js';

/** What the conversation keeps beside a wire item. */
export interface ItemExtras {
  /** Audio of an `input_audio` or `output_audio` part, in the format it arrived or was made in. */
  audio?: Uint8Array[];
  /** Bytes per millisecond of `audio`. */
  audioBytesPerMs?: number;
  /** Length of the item's audio, kept when the bytes are evicted from memory. */
  audioMs?: number;
  /** Word timings of assistant audio, for truncation. */
  words?: WordTiming[];
  /** Transcript of user audio for the LLM, whether or not the client asked for transcription. */
  transcript?: string | null;
  /** Settles when the transcript of user audio is known. */
  transcriptReady?: Promise<void>;
  /** The STT failed on this item's audio: a response to it fails rather than answer nothing. */
  transcriptFailed?: boolean;
  /** Language the STT detected in user audio (for switching the voice's language). */
  language?: string;
}

/** A stored item. */
export interface Entry {
  item: Item;
  extras: ItemExtras;
}

/** Why an insert failed. */
export type InsertError = 'item_not_found' | 'duplicate_item_id' | 'conversation_item_limit_reached';

/** An ordered, id-indexed list of conversation items with a size limit. */
export class Conversation {
  readonly id = newId('conv');
  private readonly order: Entry[] = [];
  private readonly byId = new Map<string, Entry>();
  /** Entries holding audio bytes, oldest first, with their byte counts. */
  private readonly audioBytes = new Map<Entry, number>();
  private retainedBytes = 0;

  constructor(
    private readonly maxItems: number,
    /**
     * Audio bytes kept across all items; past it the oldest items' audio (and word timings) are
     * dropped (not the items).
     */
    private readonly maxRetainedAudioBytes: number,
  ) {}

  /**
   * Sets an item's audio (`audioMs` defaults to its length) and keeps the session's audio within
   * budget by dropping the oldest other items' bytes. Their transcripts and lengths stay.
   */
  setAudio(entry: Entry, chunks: Uint8Array[], bytesPerMs: number, audioMs?: number): void {
    const bytes = chunks.reduce((n, c) => n + c.byteLength, 0);
    entry.extras.audio = ownCopy(chunks);
    entry.extras.audioBytesPerMs = bytesPerMs;
    entry.extras.audioMs = audioMs ?? Math.floor(bytes / bytesPerMs);
    if (this.byId.get(entry.item.id) === entry) this.account(entry, bytes);
  }

  private account(entry: Entry, bytes: number): void {
    this.retainedBytes -= this.audioBytes.get(entry) ?? 0;
    this.audioBytes.delete(entry);
    if (bytes > 0) {
      this.audioBytes.set(entry, bytes);
      this.retainedBytes += bytes;
    }
    for (const [other, held] of this.audioBytes) {
      if (this.retainedBytes <= this.maxRetainedAudioBytes) break;
      if (other === entry) continue;
      other.extras.audio = undefined;
      // Word timings only serve to truncate the item's audio at a word; without the audio, a
      // truncation cuts its transcript by time alone. Dropped with it, they no longer grow the
      // session by every answer's words for as long as it lasts.
      other.extras.words = undefined;
      this.audioBytes.delete(other);
      this.retainedBytes -= held;
    }
  }

  /** Number of items. */
  get size(): number {
    return this.order.length;
  }

  /** Items in order. */
  entries(): readonly Entry[] {
    return this.order;
  }

  /** The entry with this id. */
  get(id: string): Entry | undefined {
    return this.byId.get(id);
  }

  /** Whether one more item fits. */
  hasRoom(): boolean {
    return this.order.length < this.maxItems;
  }

  /**
   * Inserts after `previousItemId` (`"root"`: at the start; null or undefined: at the end).
   * Returns the id of the item now before it, or an error.
   */
  insert(
    entry: Entry,
    previousItemId?: string | null,
    /** Skip the item limit: a running response's own items, already admitted with it. */
    force = false,
  ): { ok: true; previousItemId: string | null } | { ok: false; error: InsertError } {
    if (this.byId.has(entry.item.id)) return { ok: false, error: 'duplicate_item_id' };
    if (!force && !this.hasRoom()) return { ok: false, error: 'conversation_item_limit_reached' };
    let index = this.order.length;
    if (previousItemId === 'root') index = 0;
    else if (previousItemId != null) {
      const at = this.order.findIndex((e) => e.item.id === previousItemId);
      if (at < 0) return { ok: false, error: 'item_not_found' };
      index = at + 1;
    }
    this.order.splice(index, 0, entry);
    this.byId.set(entry.item.id, entry);
    const audio = entry.extras.audio;
    if (audio) this.setAudio(entry, audio, entry.extras.audioBytesPerMs ?? 1, entry.extras.audioMs);
    return { ok: true, previousItemId: index === 0 ? null : this.order[index - 1]!.item.id };
  }

  /** Removes an item; false when unknown. */
  delete(id: string): boolean {
    const entry = this.byId.get(id);
    if (!entry) return false;
    this.byId.delete(id);
    this.order.splice(this.order.indexOf(entry), 1);
    this.retainedBytes -= this.audioBytes.get(entry) ?? 0;
    this.audioBytes.delete(entry);
    return true;
  }

  /** Whether a function_call item with this call id exists. */
  hasCall(callId: string): boolean {
    return this.order.some((e) => e.item.type === 'function_call' && e.item.call_id === callId);
  }
}

/**
 * The chunks as one buffer of their own. Decoded appends and TTS chunks are small Buffers cut from
 * Node's shared 8 KiB pool, and a kept 160-byte slice keeps its whole slab alive: held for the
 * session's life, 20 ms appends made the gateway's memory grow many times faster than the audio
 * budget counts (`npm run bench:soak`). One copy per item is cheap next to that.
 */
function ownCopy(chunks: Uint8Array[]): Uint8Array[] {
  const only = chunks[0];
  return chunks.length === 1 && only && ownsBuffer(only) ? chunks : [joinOwned(chunks)];
}
