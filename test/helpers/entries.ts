/** Conversation entries for tests of what the LLM sees: user text, tool calls and their results. */
import type { Item } from '../../protocol/realtime/index.js';
import type { Entry } from '../../src/session/conversation.js';
import { defaultRealtimeSession } from '../../src/session/session-config.js';

let lastId = 0;

/** An entry for `item`, with a fresh id. */
export const entry = (item: Partial<Item> & { type: Item['type'] }): Entry =>
  ({ item: { id: `item_${++lastId}`, object: 'realtime.item', ...item } as Item, extras: {} }) as Entry;

export const user = (text: string): Entry =>
  entry({ type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text }] });

/** A call of the tool `hours` with id `id`. */
export const call = (id: string): Entry =>
  entry({ type: 'function_call', call_id: id, name: 'hours', arguments: '{}', status: 'completed' });

export const output = (id: string, text: string): Entry =>
  entry({ type: 'function_call_output', call_id: id, output: text });

/** A realtime session as it starts, with short instructions and server VAD. */
export const testSession = () =>
  defaultRealtimeSession({
    id: 'sess_1',
    model: 'gpt-realtime',
    expiresAt: 0,
    instructions: 'Be brief.',
    voice: 'alloy',
    turnDetection: 'server_vad',
  });
