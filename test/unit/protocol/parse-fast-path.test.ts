/**
 * The append fast path in parse.ts gives exactly what the schema gives: every append it accepts,
 * the schema accepts with the same event, and everything else takes the schema path.
 */
import { describe, expect, it } from 'vitest';
import {
  BETA_CLIENT_EVENT_SCHEMAS,
  CLIENT_EVENT_SCHEMAS,
  MAX_EVENT_ID_LENGTH,
} from '../../../protocol/realtime/client-events.js';
import { parseBetaClientEvent, parseClientEvent, plainAppend } from '../../../protocol/realtime/parse.js';

const TYPE = 'input_audio_buffer.append';

/** Append-shaped variants: the usual ones and every way to get one wrong. */
function variants(): Record<string, unknown>[] {
  const audios: unknown[] = ['', 'AAAA', 'not base64!', 42, null, true, [], {}, ['AAAA'], undefined];
  const ids: unknown[] = [
    undefined,
    '',
    'evt_1',
    'x'.repeat(512),
    'x'.repeat(513),
    // Length counts UTF-16 units in both paths: 256 emoji are 512 units, 257 are 514.
    '\u{1F600}'.repeat(256),
    '\u{1F600}'.repeat(257),
    7,
    null,
    {},
    ['e'],
  ];
  const extras: Record<string, unknown>[] = [
    {},
    { foo: 1 },
    { session: {} },
    { __proto__x: 1 },
    { response_id: 'r' },
  ];
  const out: Record<string, unknown>[] = [];
  for (const audio of audios)
    for (const event_id of ids)
      for (const extra of extras) {
        const v: Record<string, unknown> = { type: TYPE, ...extra };
        if (audio !== undefined) v.audio = audio;
        if (event_id !== undefined) v.event_id = event_id;
        out.push(v);
      }
  // Key order does not matter; a __proto__ key read from JSON is an own, unknown key.
  out.push({ audio: 'AAAA', event_id: 'e', type: TYPE });
  out.push(JSON.parse(`{"type":"${TYPE}","audio":"AAAA","__proto__":{"x":1}}`) as Record<string, unknown>);
  return out;
}

describe('append fast path', () => {
  it('accepts only what the schema accepts, with the same event, in both dialects', () => {
    let fast = 0;
    for (const schemas of [CLIENT_EVENT_SCHEMAS, BETA_CLIENT_EVENT_SCHEMAS]) {
      const schema = schemas[TYPE];
      for (const v of variants()) {
        const got = plainAppend(v);
        const ref = schema.safeParse(v);
        if (got) {
          fast++;
          expect(ref.success, JSON.stringify(v)).toBe(true);
          expect(got).toStrictEqual(ref.data);
        }
      }
    }
    // The well-formed ones all took the fast path: 3 audio strings x 5 valid ids, and the
    // reordered one, per dialect.
    expect(fast).toBe(2 * (3 * 5 + 1));
  });

  it('answers every variant through the parser as the schema path would', () => {
    for (const v of variants()) {
      const text = JSON.stringify(v);
      const ga = parseClientEvent(text);
      const beta = parseBetaClientEvent(text);
      const ref = CLIENT_EVENT_SCHEMAS[TYPE].safeParse(JSON.parse(text));
      expect(ga.ok, text).toBe(ref.success);
      expect(beta.ok, text).toBe(ref.success);
      if (ga.ok && ref.success) expect(ga.event).toStrictEqual(ref.data);
    }
  });

  it('knows every field the schemas allow: a new one must reach the fast path too', () => {
    // plainAppend accepts exactly these keys, audio of any length and event_id up to
    // MAX_EVENT_ID_LENGTH. A schema change here (a new field, a bound on audio) must be made in
    // plainAppend too: this pins the shape it was written for, so such a change cannot slip past.
    for (const schemas of [CLIENT_EVENT_SCHEMAS, BETA_CLIENT_EVENT_SCHEMAS]) {
      const shape = schemas[TYPE].shape;
      expect(Object.keys(shape).sort()).toEqual(['audio', 'event_id', 'type']);
      expect(shape.audio.safeParse('x'.repeat(100_000)).success).toBe(true);
      expect(shape.event_id.safeParse('x'.repeat(MAX_EVENT_ID_LENGTH)).success).toBe(true);
      expect(shape.event_id.safeParse('x'.repeat(MAX_EVENT_ID_LENGTH + 1)).success).toBe(false);
    }
  });
});
