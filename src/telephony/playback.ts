/**
 * What the caller has heard. Assistant audio goes to Twilio as 20 ms `media` frames, as fast as it
 * is made (Twilio queues it), with a `mark` every few frames; Twilio echoes a mark once the audio
 * before it has played. Between echoes a local play-out clock fills in, so a barge-in can truncate
 * the assistant's item where the caller stopped hearing it.
 */

/** 20 ms of μ-law at 8 kHz: the frame Twilio sends and plays. */
export const FRAME_BYTES = 160;
/** μ-law at 8 kHz: one byte a sample. */
const BYTES_PER_MS = 8;
/** A mark every 5 frames: the heard position is known to within 100 ms without a flood of marks. */
const MARK_EVERY_FRAMES = 5;
/** Marks awaiting their echo (about 100 s of audio); older ones are forgotten. */
const MAX_PENDING_MARKS = 1_000;

/** One message for Twilio, before the stream's id is stamped on it. */
export type PlaybackOut = { kind: 'media'; payload: string } | { kind: 'mark'; name: string };

/** Where a cleared item's audio stopped, for `conversation.item.truncate`. */
export interface HeardPosition {
  itemId: string;
  audioEndMs: number;
}

interface ItemPlayout {
  itemId: string;
  /** Audio of the item sent to Twilio. */
  sentMs: number;
  /** When the item's first frame starts to play by the local clock. */
  startsAt: number;
  /** The latest mark echoed for this item: its position and when it came. */
  confirmedMs: number;
  confirmedAt: number | null;
}

/** Frames one call's outbound audio and tracks how much of it has played. */
export class Playback {
  private epoch = 0;
  private seq = 0;
  private remainder: Uint8Array = new Uint8Array(0);
  private framesSinceMark = 0;
  private item: ItemPlayout | null = null;
  /** When everything sent so far will have played, by the local clock. */
  private playEndsAt = 0;
  private readonly marks = new Map<string, { itemId: string; endMs: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Frames (and marks) for `audio`, the next piece of assistant item `itemId`. */
  push(itemId: string, audio: Uint8Array): PlaybackOut[] {
    const out: PlaybackOut[] = [];
    const t = this.now();
    if (this.item?.itemId !== itemId) {
      this.finish(out);
      this.item = {
        itemId,
        sentMs: 0,
        startsAt: Math.max(t, this.playEndsAt),
        confirmedMs: 0,
        confirmedAt: null,
      };
    } else if (t > this.playEndsAt && this.item.sentMs > 0) {
      // Twilio's queue ran dry (the next sentence was slow to come): play resumes now, from here,
      // not where an uninterrupted clock would put it.
      this.item.confirmedMs = this.item.sentMs;
      this.item.confirmedAt = t;
    }
    let bytes = audio;
    if (this.remainder.length > 0) {
      bytes = new Uint8Array(this.remainder.length + audio.length);
      bytes.set(this.remainder);
      bytes.set(audio, this.remainder.length);
    }
    let offset = 0;
    for (; offset + FRAME_BYTES <= bytes.length; offset += FRAME_BYTES) {
      this.frame(bytes.subarray(offset, offset + FRAME_BYTES), out);
    }
    this.remainder = bytes.slice(offset);
    return out;
  }

  /** The item's audio is complete: its last partial frame and a closing mark. */
  end(itemId: string): PlaybackOut[] {
    const out: PlaybackOut[] = [];
    if (this.item?.itemId === itemId) this.finish(out);
    return out;
  }

  /** Twilio echoed mark `name`: the audio before it has played (or, after a clear, was dropped). */
  onMark(name: string): void {
    const mark = this.marks.get(name);
    // Marks of cleared audio come back too; they were forgotten at the clear and say nothing.
    if (!mark) return;
    this.marks.delete(name);
    if (this.item?.itemId === mark.itemId && mark.endMs >= this.item.confirmedMs) {
      this.item.confirmedMs = mark.endMs;
      this.item.confirmedAt = this.now();
    }
  }

  /** Whether audio sent has not yet been heard in full (a barge-in would cut it). */
  get playing(): boolean {
    return this.item !== null && this.heardMs(this.item) < this.item.sentMs;
  }

  /** Marks sent and not yet echoed: audio Twilio has not confirmed as played. */
  get marksPending(): number {
    return this.marks.size;
  }

  /** Audio of the current item sent so far, in ms. */
  get sentMs(): number {
    return this.item?.sentMs ?? 0;
  }

  /** The item being heard and how much of it, if any is playing. */
  heard(): HeardPosition | null {
    if (!this.item) return null;
    return { itemId: this.item.itemId, audioEndMs: Math.floor(this.heardMs(this.item)) };
  }

  /** Barge-in: forgets queued audio (send Twilio a `clear`) and says where the item was cut. */
  clear(): HeardPosition | null {
    const cut = this.playing ? this.heard() : null;
    this.epoch++;
    this.marks.clear();
    this.remainder = new Uint8Array(0);
    this.framesSinceMark = 0;
    this.item = null;
    this.playEndsAt = this.now();
    return cut;
  }

  private frame(bytes: Uint8Array, out: PlaybackOut[]): void {
    const item = this.item!;
    out.push({ kind: 'media', payload: Buffer.from(bytes).toString('base64') });
    const ms = bytes.length / BYTES_PER_MS;
    item.sentMs += ms;
    this.playEndsAt = Math.max(this.now(), this.playEndsAt) + ms;
    if (++this.framesSinceMark >= MARK_EVERY_FRAMES) this.mark(out);
  }

  private mark(out: PlaybackOut[]): void {
    const item = this.item!;
    this.framesSinceMark = 0;
    const name = `${this.epoch}.${++this.seq}`;
    if (this.marks.size >= MAX_PENDING_MARKS) this.marks.delete(this.marks.keys().next().value!);
    this.marks.set(name, { itemId: item.itemId, endMs: item.sentMs });
    out.push({ kind: 'mark', name });
  }

  private finish(out: PlaybackOut[]): void {
    if (!this.item) return;
    if (this.remainder.length > 0) {
      this.frame(this.remainder, out);
      this.remainder = new Uint8Array(0);
    }
    if (this.framesSinceMark > 0) this.mark(out);
  }

  /** Heard so far: the last echoed mark plus the time since, or the local clock before any echo. */
  private heardMs(item: ItemPlayout): number {
    const t = this.now();
    const estimate =
      item.confirmedAt === null ? t - item.startsAt : item.confirmedMs + (t - item.confirmedAt);
    return Math.min(item.sentMs, Math.max(0, estimate));
  }
}
