/**
 * Client-created items (`conversation.item.create`, `response.create.response.input`) to stored
 * entries: assigns ids, checks what the protocol and this gateway allow, decodes inline audio.
 */
import type { AudioFormat, ContentPart, ErrorCode, Item, ItemCreate } from '../../protocol/realtime/index.js';
import { decodeBase64Strict } from '../audio/base64.js';
import { bytesPerMs } from '../audio/formats.js';
import { newId } from '../util/ids.js';
import type { Entry } from './conversation.js';

/** Why an item was refused. */
export interface ItemError {
  code: ErrorCode;
  param: string;
  message: string;
}

/** Turns a client item into an entry, or says why not. `param` is the item's path in the event. */
export function entryFromClientItem(
  input: ItemCreate,
  format: AudioFormat,
  param: string,
): { ok: true; entry: Entry; audio: Uint8Array | null } | { ok: false; error: ItemError } {
  const id = input.id ?? newId('item');
  const status = input.status ?? 'completed';
  if (input.type === 'function_call') {
    const item: Item = {
      id,
      object: 'realtime.item',
      type: 'function_call',
      status,
      call_id: input.call_id,
      name: input.name,
      arguments: input.arguments,
    };
    return { ok: true, entry: { item, extras: {} }, audio: null };
  }
  if (input.type === 'function_call_output') {
    const item: Item = {
      id,
      object: 'realtime.item',
      type: 'function_call_output',
      status,
      call_id: input.call_id,
      output: input.output,
    };
    return { ok: true, entry: { item, extras: {} }, audio: null };
  }
  const content: ContentPart[] = [];
  let audio: Uint8Array | null = null;
  for (const [i, part] of input.content.entries()) {
    const at = `${param}.content[${i}]`;
    const allowed = ALLOWED_PARTS[input.role];
    if (!allowed.includes(part.type)) {
      return refuse('unsupported_content_type', `${at}.type`, partMessage(input.role, part.type));
    }
    switch (part.type) {
      case 'input_text':
      case 'output_text':
        content.push({ type: part.type, text: part.text });
        break;
      case 'input_audio': {
        if (part.audio !== undefined) {
          const bytes = decodeBase64Strict(part.audio);
          if (!bytes) return refuse('invalid_audio', `${at}.audio`, 'The audio is not valid base64.');
          if (format.type === 'audio/pcm' && bytes.byteLength % 2 !== 0) {
            return refuse(
              'invalid_audio_length',
              `${at}.audio`,
              'PCM16 audio must hold a whole number of 2-byte samples.',
            );
          }
          audio = bytes;
        }
        content.push({ type: 'input_audio', transcript: part.transcript ?? null });
        break;
      }
      default:
        return refuse('unsupported_content_type', `${at}.type`, partMessage(input.role, part.type));
    }
  }
  const item: Item = { id, object: 'realtime.item', type: 'message', status, role: input.role, content };
  const extras: Entry['extras'] = {};
  if (audio) {
    extras.audio = [audio];
    extras.audioBytesPerMs = bytesPerMs(format.type);
  }
  return { ok: true, entry: { item, extras }, audio };
}

/** Content part types a client may create, by role. Images need a vision LLM, which the pipeline lacks. */
const ALLOWED_PARTS: Record<'user' | 'assistant' | 'system', readonly string[]> = {
  user: ['input_text', 'input_audio'],
  assistant: ['output_text'],
  system: ['input_text'],
};

function partMessage(role: string, type: string): string {
  if (type === 'input_image') return 'input_image is not supported: the configured LLM has no vision.';
  if (role === 'assistant' && type === 'output_audio')
    return 'Assistant audio messages cannot be created by the client.';
  return `A ${role} message cannot hold a '${type}' content part.`;
}

function refuse(code: ErrorCode, param: string, message: string): { ok: false; error: ItemError } {
  return { ok: false, error: { code, param, message } };
}

/** A user item for committed audio; its transcript is filled in later. */
export function userAudioEntry(id: string): Entry {
  return {
    item: {
      id,
      object: 'realtime.item',
      type: 'message',
      status: 'completed',
      role: 'user',
      content: [{ type: 'input_audio', transcript: null }],
    },
    extras: {},
  };
}
