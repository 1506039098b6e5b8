/**
 * The client's conversation item events (`conversation.item.create`, `.retrieve`, `.delete`,
 * `.truncate`) and the announcements every inserted item gets, for one session.
 */
import type { ClientEventOf, SessionObject } from '../../protocol/realtime/index.js';
import type { Conversation, Entry } from './conversation.js';
import type { EventWriter } from './event-writer.js';
import { entryFromClientItem } from './item-input.js';
import type { ResponseRun } from './response-run.js';
import { truncateItem } from './truncate.js';

/** What the item handlers need of their session. */
export interface ItemHost {
  /** The effective session now (it changes with session.update). */
  session(): SessionObject;
  readonly conversation: Conversation;
  readonly writer: EventWriter;
  /** The responses running now: one still producing a truncated item is cancelled first. */
  active(): Iterable<ResponseRun>;
  /** Transcribes an item's audio; `announce`: with the transcription events a client asked for. */
  transcribe(entry: Entry, audio: readonly Uint8Array[], announce: boolean): void;
}

/** Conversation item events for one session. */
export class ItemEvents {
  constructor(private readonly h: ItemHost) {}

  create(event: ClientEventOf<'conversation.item.create'>): void {
    const { conversation } = this.h;
    const made = entryFromClientItem(event.item, this.h.session().audio.input.format, 'item');
    if (!made.ok)
      return this.h.writer.refuse(made.error.code, event.event_id, made.error.param, made.error.message);
    const { entry, audio } = made;
    if (entry.item.type === 'function_call_output' && !conversation.hasCall(entry.item.call_id)) {
      return this.h.writer.refuse(
        'invalid_call_id',
        event.event_id,
        'item.call_id',
        `No function_call item has call_id '${entry.item.call_id}'.`,
      );
    }
    const inserted = conversation.insert(entry, event.previous_item_id);
    if (!inserted.ok) {
      const param =
        inserted.error === 'item_not_found'
          ? 'previous_item_id'
          : inserted.error === 'duplicate_item_id'
            ? 'item.id'
            : null;
      return this.h.writer.refuse(inserted.error, event.event_id, param);
    }
    this.announce(entry, inserted.previousItemId);
    this.transcribeClientAudio(entry, audio, true);
  }

  retrieve(event: ClientEventOf<'conversation.item.retrieve'>): void {
    const entry = this.h.conversation.get(event.item_id);
    if (!entry) return this.notFound(event.event_id, event.item_id);
    this.h.writer.emit({ type: 'conversation.item.retrieved', item: wireItem(entry, true) });
  }

  delete(event: ClientEventOf<'conversation.item.delete'>): void {
    if (!this.h.conversation.delete(event.item_id)) return this.notFound(event.event_id, event.item_id);
    this.h.writer.emit({ type: 'conversation.item.deleted', item_id: event.item_id });
  }

  truncate(event: ClientEventOf<'conversation.item.truncate'>): void {
    const entry = this.h.conversation.get(event.item_id);
    if (!entry) return this.notFound(event.event_id, event.item_id);
    // The client stopped playing this item: a response still producing it ends first, so its
    // content is complete and nothing is appended after the cut.
    for (const run of this.h.active()) if (run.owns(event.item_id)) run.cancel('client_cancelled');
    const result = truncateItem(entry, event.content_index, event.audio_end_ms);
    if (!result.ok)
      return this.h.writer.refuse(
        result.error.code,
        event.event_id,
        result.error.param,
        result.error.message,
      );
    if (result.audio)
      this.h.conversation.setAudio(entry, result.audio, result.bytesPerMs, event.audio_end_ms);
    else entry.extras.audioMs = event.audio_end_ms;
    this.h.writer.emit({
      type: 'conversation.item.truncated',
      item_id: event.item_id,
      content_index: event.content_index,
      audio_end_ms: event.audio_end_ms,
    });
  }

  /** An inserted item, as the client sees it arrive. */
  announce(entry: Entry, previousItemId: string | null): void {
    const item = wireItem(entry);
    this.h.writer.emit({ type: 'conversation.item.added', previous_item_id: previousItemId, item });
    this.h.writer.emit({ type: 'conversation.item.done', previous_item_id: previousItemId, item });
  }

  /** Client audio with no transcript is transcribed; a given transcript is what the LLM sees. */
  transcribeClientAudio(entry: Entry, audio: Uint8Array | null, announce: boolean): void {
    const part =
      entry.item.type === 'message' ? entry.item.content.find((p) => p.type === 'input_audio') : undefined;
    if (part?.type !== 'input_audio') return;
    if (audio && part.transcript === null) this.h.transcribe(entry, [audio], announce);
    else entry.extras.transcript = part.transcript;
  }

  private notFound(eventId: string | undefined, itemId: string): void {
    this.h.writer.refuse('item_not_found', eventId, 'item_id', `Item with item_id '${itemId}' not found.`);
  }
}

/** The item as sent on the wire; audio bytes only when `withAudio` (retrieve). */
function wireItem(entry: Entry, withAudio = false): Entry['item'] {
  const { item, extras } = entry;
  if (item.type !== 'message') return { ...item };
  const audio = withAudio && extras.audio ? Buffer.concat(extras.audio).toString('base64') : undefined;
  return {
    ...item,
    content: item.content.map((p) =>
      audio !== undefined && (p.type === 'input_audio' || p.type === 'output_audio')
        ? { ...p, audio }
        : { ...p },
    ),
  };
}
