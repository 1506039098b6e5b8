/**
 * Strict base64 for audio payloads.
 *
 * Node's Buffer.from(s, 'base64') never fails: it silently skips invalid characters, accepts the base64url
 * alphabet and stops at the first '='. For audio that means corrupted input becomes shifted, garbled samples,
 * so we validate first and only then hand the string to the (fast, native) decoder. (Checking the decoded
 * length instead would miss characters above U+00FF: Node 20 reads them by their low byte, so 'Ł', U+0141,
 * decodes as 'A'.)
 */

import { Buffer } from 'node:buffer';

// Standard alphabet, optional padding at the very end only; no whitespace, no base64url characters.
// A single anchored character-class regex runs in linear time with no backtracking in V8.
const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes standard base64 (RFC 4648 §4). Padded input must have a length that is a multiple of 4;
 * unpadded input may end with 2 or 3 characters of a final group. Returns null, never throws, for any
 * other character (including whitespace and '-'/'_'), misplaced '=', or an impossible length.
 * Non-zero unused bits in the final character are tolerated (they carry no data).
 */
export function decodeBase64Strict(input: string): Uint8Array | null {
  const length = input.length;
  if (length === 0) return new Uint8Array(0);
  const padded = input.charCodeAt(length - 1) === 0x3d; // '='
  if (padded ? length % 4 !== 0 : length % 4 === 1) return null;
  if (!BASE64_PATTERN.test(input)) return null;
  return Buffer.from(input, 'base64');
}

/** Encodes bytes as standard, padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Number of bytes a valid base64 string decodes to, computed from its length and padding alone. */
export function base64DecodedLength(input: string): number {
  let length = input.length;
  while (length > 0 && input.charCodeAt(length - 1) === 0x3d) length--;
  return Math.floor((length * 3) / 4);
}
