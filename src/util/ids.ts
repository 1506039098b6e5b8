/** Server-side ids in OpenAI's shapes: a prefix and 21 alphanumerics (shared/realtime-protocol.md 6). */
import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const ID_LENGTH = 21;
/** Random bytes drawn per refill; ids are made on the hot path (one per event). */
const POOL_BYTES = 4096;

let pool = randomBytes(POOL_BYTES);
let offset = 0;

function randomChars(n: number): string {
  let out = '';
  while (out.length < n) {
    if (offset >= pool.length) {
      pool = randomBytes(POOL_BYTES);
      offset = 0;
    }
    const b = pool[offset++]!;
    // 248 = 4 * 62: reject the tail so every character is equally likely.
    if (b < 248) out += ALPHABET[b % 62];
  }
  return out;
}

/** The id prefixes the protocol uses. */
export type IdPrefix = 'event' | 'sess' | 'item' | 'resp' | 'conv' | 'call';

/** A new id such as `event_...` (`call_` ids are 16 characters long after the prefix, as OpenAI's). */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomChars(prefix === 'call' ? 16 : ID_LENGTH)}`;
}
