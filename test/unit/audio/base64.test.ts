import { describe, expect, it } from 'vitest';

import { base64DecodedLength, decodeBase64Strict, encodeBase64 } from '../../../src/audio/base64.js';

function bytesOf(result: Uint8Array | null): number[] | null {
  return result === null ? null : Array.from(result);
}

describe('decodeBase64Strict', () => {
  it('decodes padded and unpadded standard base64', () => {
    expect(bytesOf(decodeBase64Strict(''))).toEqual([]);
    expect(bytesOf(decodeBase64Strict('QUJD'))).toEqual([0x41, 0x42, 0x43]);
    expect(bytesOf(decodeBase64Strict('QUI='))).toEqual([0x41, 0x42]);
    expect(bytesOf(decodeBase64Strict('QUI'))).toEqual([0x41, 0x42]);
    expect(bytesOf(decodeBase64Strict('QQ=='))).toEqual([0x41]);
    expect(bytesOf(decodeBase64Strict('QQ'))).toEqual([0x41]);
    expect(bytesOf(decodeBase64Strict('+/+/'))).toEqual([0xfb, 0xff, 0xbf]);
  });

  it('returns null for characters Node would silently skip or reinterpret', () => {
    for (const bad of [
      'QU JD',
      'QUJD\n',
      ' QUJD',
      'QU-D',
      'QU_D',
      'QUJ!',
      'QUJDé',
      'QU\u0000D',
      'QUJD\r\n',
    ]) {
      expect(decodeBase64Strict(bad), JSON.stringify(bad)).toBeNull();
    }
  });

  it('returns null for impossible lengths and misplaced padding', () => {
    for (const bad of [
      'Q',
      'QUJDQ',
      '=',
      '==',
      '====',
      'Q===',
      'QQ=',
      'QUJ==',
      'QUI=QUJD',
      'QQ==QQ==',
      'QUJD=',
      'QUJDQQ=',
    ]) {
      expect(decodeBase64Strict(bad), bad).toBeNull();
    }
  });

  it('never throws on arbitrary input', () => {
    const alphabet = 'AZaz09+/=-_ \n\t.é';
    let seed = 12345;
    for (let i = 0; i < 2000; i++) {
      let s = '';
      const length = i % 13;
      for (let j = 0; j < length; j++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        s += alphabet[seed % alphabet.length];
      }
      const decoded = decodeBase64Strict(s);
      if (decoded !== null)
        expect(encodeBase64(decoded).replace(/=+$/, '').length).toBe(s.replace(/=+$/, '').length);
    }
  });

  it('round-trips binary data of every length up to 64 bytes and a multi-megabyte payload', () => {
    for (let length = 0; length <= 64; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 97 + length) & 0xff);
      const encoded = encodeBase64(bytes);
      expect(bytesOf(decodeBase64Strict(encoded))).toEqual(Array.from(bytes));
      expect(bytesOf(decodeBase64Strict(encoded.replace(/=+$/, '')))).toEqual(Array.from(bytes));
      expect(base64DecodedLength(encoded)).toBe(length);
    }
    const big = new Uint8Array(3 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = Math.imul(i, 2654435761) >>> 24;
    const decoded = decodeBase64Strict(encodeBase64(big));
    expect(decoded?.length).toBe(big.length);
    expect(Buffer.compare(Buffer.from(decoded ?? []), Buffer.from(big))).toBe(0);
  });

  it('encodes a subarray view only', () => {
    const backing = Uint8Array.of(0, 0x41, 0x42, 0x43, 0);
    expect(encodeBase64(backing.subarray(1, 4))).toBe('QUJD');
  });
});
