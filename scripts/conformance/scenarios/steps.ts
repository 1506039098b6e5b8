/** Steps the scenarios share: awaiting a whole response, reading its parts, sanity-checking audio. */
import type { KitClient, Recorded } from '../client.js';
import { check } from '../runner.js';

type E = Record<string, unknown>;

/** A finished response as the client saw it. */
export interface SeenResponse {
  id: string;
  created: E;
  /** The final response object. */
  done: E;
  /** Received events naming this response (by response_id or response.id). */
  events: Recorded[];
}

/**
 * Waits until the item is in the conversation: conversation.item.added and, in GA, its
 * conversation.item.done (beta has conversation.item.created only).
 */
export async function awaitItem(c: KitClient, id: string): Promise<E> {
  const added = await c.next('conversation.item.added', (e) => (e.item as E).id === id, 0);
  if (c.ep.dialect === 'ga') await c.next('conversation.item.done', (e) => (e.item as E).id === id, 0);
  return added.item as E;
}

/** Waits for the next response.created (from `from`), then its response.done. */
export async function awaitResponse(c: KitClient, from?: number): Promise<SeenResponse> {
  const created = await c.next('response.created', () => true, from);
  const id = String((created.response as E).id);
  const done = await c.next('response.done', (e) => (e.response as E).id === id, from);
  const events = c.log.filter(
    (r) => r.dir === 'in' && (r.e.response_id === id || (r.e.response as E | undefined)?.id === id),
  );
  return { id, created: created.response as E, done: done.response as E, events };
}

/** The GA types of a response's events, deltas collapsed to one entry per run. */
export function shape(events: Recorded[]): string[] {
  const out: string[] = [];
  for (const r of events) if (out[out.length - 1] !== r.ga || !r.ga.endsWith('.delta')) out.push(r.ga);
  return out;
}

/** Concatenated `delta` strings of one GA type. */
export function joined(events: Recorded[], ga: string): string {
  return events
    .filter((r) => r.ga === ga)
    .map((r) => String(r.e.delta))
    .join('');
}

/** Decoded bytes of output audio deltas. */
export function audioBytes(events: Recorded[]): number {
  return events
    .filter((r) => r.ga === 'response.output_audio.delta')
    .reduce((n, r) => n + (r.audioBytes ?? 0), 0);
}

/**
 * Output audio is speech in the announced format: its duration, read at `bytesPerMs`, fits the
 * spoken transcript (between 100 ms and 1.5 s per word). Audio in another format than announced
 * (24 kHz PCM where G.711 was asked, or the reverse) is several times off and fails.
 */
export function checkAudioFitsTranscript(events: Recorded[], bytesPerMs: number, transcript: string): void {
  const bytes = audioBytes(events);
  check(bytes > 0, 'no output audio');
  if (bytesPerMs === 48) check(bytes % 2 === 0, `PCM16 audio of an odd byte count (${bytes})`);
  const words = transcript.split(/\s+/).filter(Boolean).length;
  check(words > 0, 'the spoken transcript is empty');
  const msPerWord = bytes / bytesPerMs / words;
  check(
    msPerWord >= 100 && msPerWord <= 1_500,
    `${Math.round(bytes / bytesPerMs)} ms of audio for ${words} words (${Math.round(msPerWord)} ms per word): not in the announced format?`,
  );
}

/** The first content part of an item, from output_item.done. */
export function firstPart(item: E): E {
  return ((item.content as E[] | undefined) ?? [])[0] ?? {};
}
