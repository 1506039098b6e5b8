/**
 * The kit's ordering rules can fail: a well-ordered stream passes every rule that applies, and
 * each tampering (an event moved, dropped or renamed) breaks the rule that guards it.
 */
import { describe, expect, it } from 'vitest';
import type { Recorded } from '../../scripts/conformance/client.js';
import { gaName } from '../../scripts/conformance/dialect.js';
import type { Dialect } from '../../scripts/conformance/dialect.js';
import { checkRules, RULES } from '../../scripts/conformance/rules.js';

type E = Record<string, unknown>;
const R = 'resp_1';
const A = 'item_a';
const U = 'item_u';
const at = { response_id: R, item_id: A, output_index: 0, content_index: 0 };
let n = 0;

function rec(dir: 'in' | 'out', e: E, dialect: Dialect = 'ga'): Recorded {
  const type = String(e.type);
  return {
    dir,
    at: n++,
    type,
    ga: dir === 'in' ? gaName(type, dialect) : type,
    e: dir === 'in' ? { event_id: `event_${n}`, ...e } : e,
  };
}
const inn = (e: E) => rec('in', e);
const out = (e: E) => rec('out', e);

/** A voice turn, then a spoken answer, in protocol order (shared/realtime-protocol.md 4.2). */
function goodStream(): Recorded[] {
  const assistant = { id: A, type: 'message', role: 'assistant', status: 'in_progress', content: [] };
  const user = { id: U, type: 'message', role: 'user', content: [{ type: 'input_audio', transcript: null }] };
  return [
    inn({
      type: 'session.created',
      session: { audio: { input: { turn_detection: { interrupt_response: true } } } },
    }),
    out({ type: 'session.update', session: { type: 'realtime' } }),
    inn({
      type: 'session.updated',
      session: { audio: { input: { turn_detection: { interrupt_response: true } } } },
    }),
    inn({ type: 'input_audio_buffer.speech_started', item_id: U, audio_start_ms: 200 }),
    inn({ type: 'input_audio_buffer.speech_stopped', item_id: U, audio_end_ms: 1500 }),
    inn({ type: 'input_audio_buffer.committed', item_id: U, previous_item_id: null }),
    inn({ type: 'conversation.item.added', item: user }),
    inn({ type: 'conversation.item.done', item: user }),
    inn({
      type: 'conversation.item.input_audio_transcription.delta',
      item_id: U,
      content_index: 0,
      delta: 'hi',
    }),
    inn({
      type: 'conversation.item.input_audio_transcription.completed',
      item_id: U,
      content_index: 0,
      transcript: 'hi',
    }),
    inn({
      type: 'response.created',
      response: { id: R, status: 'in_progress', output: [], conversation_id: 'conv_1' },
    }),
    inn({ type: 'response.output_item.added', response_id: R, output_index: 0, item: assistant }),
    inn({ type: 'conversation.item.added', item: assistant }),
    inn({ type: 'response.content_part.added', ...at, part: { type: 'audio', transcript: '' } }),
    inn({ type: 'response.output_audio_transcript.delta', ...at, delta: 'Hel' }),
    inn({ type: 'response.output_audio.delta', ...at, delta: 'AAAA' }),
    inn({ type: 'response.output_audio_transcript.delta', ...at, delta: 'lo.' }),
    inn({ type: 'response.output_audio.done', ...at }),
    inn({ type: 'response.output_audio_transcript.done', ...at, transcript: 'Hello.' }),
    inn({ type: 'response.content_part.done', ...at, part: { type: 'audio', transcript: 'Hello.' } }),
    inn({
      type: 'response.output_item.done',
      response_id: R,
      output_index: 0,
      item: { ...assistant, status: 'completed' },
    }),
    inn({ type: 'conversation.item.done', item: { ...assistant, status: 'completed' } }),
    inn({ type: 'response.done', response: { id: R, status: 'completed', output: [{ id: A }] } }),
  ];
}

/** Names of the rules a stream breaks. */
function broken(stream: Recorded[], dialect: Dialect = 'ga'): string[] {
  return [...checkRules(stream, dialect)].filter(([, o]) => o.violations.length > 0).map(([name]) => name);
}
const indexOf = (s: Recorded[], type: string) => s.findIndex((r) => r.type === type);
function move(s: Recorded[], type: string, before: string): Recorded[] {
  const copy = [...s];
  const [r] = copy.splice(indexOf(copy, type), 1);
  copy.splice(indexOf(copy, before), 0, r!);
  return copy;
}

describe('conformance rules', () => {
  it('a well-ordered stream breaks no rule, and most rules judge it', () => {
    const results = checkRules(goodStream(), 'ga');
    expect(broken(goodStream())).toEqual([]);
    expect([...results.values()].filter((o) => o.applicable).length).toBeGreaterThanOrEqual(18);
  });

  it.each([
    [
      'session.created not first',
      (s: Recorded[]) => move(s, 'session.updated', 'session.created'),
      'session.created first',
    ],
    [
      'response.done before the item is done',
      (s: Recorded[]) => move(s, 'response.done', 'response.output_item.done'),
      'every output item done before response.done',
    ],
    [
      'part still open at item done',
      (s: Recorded[]) => s.filter((r) => r.type !== 'response.content_part.done'),
      'every content part done before its item done',
    ],
    [
      'delta before its part',
      (s: Recorded[]) => move(s, 'response.output_audio.delta', 'response.content_part.added'),
      'content_part.added before its deltas, deltas before part done',
    ],
    [
      'content before output_item.added',
      (s: Recorded[]) => move(s, 'response.output_item.added', 'response.output_audio.done'),
      'output_item.added before its content',
    ],
    [
      'output before response.created',
      (s: Recorded[]) => move(s, 'response.created', 'response.content_part.added'),
      'response.created before its output',
    ],
    [
      'speech_stopped before speech_started',
      (s: Recorded[]) => move(s, 'input_audio_buffer.speech_started', 'input_audio_buffer.committed'),
      'speech_started before speech_stopped before committed',
    ],
    [
      'item added before its commit',
      (s: Recorded[]) => move(s, 'input_audio_buffer.committed', 'conversation.item.done'),
      'committed before the user item is added',
    ],
    [
      'transcript done != deltas',
      (s: Recorded[]) =>
        s.map((r) =>
          r.type === 'response.output_audio_transcript.done'
            ? { ...r, e: { ...r.e, transcript: 'Help.' } }
            : r,
        ),
      'text and transcript dones equal their deltas',
    ],
    [
      'event without event_id',
      (s: Recorded[]) => s.map((r, i) => (i === 5 ? { ...r, e: { type: r.type } } : r)),
      'every server event has an event_id',
    ],
    [
      'beta name on GA',
      (s: Recorded[]) =>
        s.map((r) =>
          r.type === 'response.output_audio.delta'
            ? { ...r, e: { ...r.e, type: 'response.audio.delta' } }
            : r,
        ),
      'event names match the dialect',
    ],
    [
      'nothing after response.done',
      (s: Recorded[]) => [...s, inn({ type: 'response.output_audio.delta', ...at, delta: 'AA' })],
      'response.done last for its response',
    ],
    [
      'a response that never ends',
      (s: Recorded[]) => s.filter((r) => r.type !== 'response.done'),
      'every response ends with response.done',
    ],
    [
      'assistant item joins the conversation after its content',
      (s: Recorded[]) => {
        const i = s.findIndex((r) => r.type === 'conversation.item.added' && (r.e.item as E).id === A);
        const copy = [...s];
        const [r] = copy.splice(i, 1);
        copy.splice(indexOf(copy, 'response.output_audio.done'), 0, r!);
        return copy;
      },
      'output item joins the conversation before its content',
    ],
    [
      'response before the user item',
      (s: Recorded[]) => move(s, 'response.created', 'conversation.item.added'),
      'user turn in the conversation before its response',
    ],
  ])('%s', (_what, tamper, rule) => {
    expect(broken(tamper(goodStream()))).toContain(rule);
  });

  it('a barge-in that keeps sending audio and completes breaks both barge-in rules', () => {
    const s = goodStream();
    const speech = inn({
      type: 'input_audio_buffer.speech_started',
      item_id: 'item_u2',
      audio_start_ms: 3000,
    });
    s.splice(indexOf(s, 'response.output_audio.delta'), 0, speech);
    expect(broken(s)).toEqual(
      expect.arrayContaining([
        'no audio delta after speech_started of a barge-in',
        'a barge-in cancels with turn_detected',
      ]),
    );
  });

  it('function call arguments that do not add up', () => {
    const F = 'item_f';
    const fc = { response_id: R, item_id: F, output_index: 0, call_id: 'call_1' };
    const item = { id: F, type: 'function_call', name: 'f', call_id: 'call_1', arguments: '' };
    const s = [
      inn({ type: 'session.created', session: {} }),
      inn({ type: 'response.created', response: { id: R, output: [], conversation_id: null } }),
      inn({ type: 'response.output_item.added', response_id: R, output_index: 0, item }),
      inn({ type: 'response.function_call_arguments.delta', ...fc, delta: '{"a":' }),
      inn({ type: 'response.function_call_arguments.done', ...fc, arguments: '{"a":1}' }),
      inn({
        type: 'response.output_item.done',
        response_id: R,
        output_index: 0,
        item: { ...item, arguments: '{"a":1}' },
      }),
      inn({ type: 'response.done', response: { id: R, status: 'completed', output: [{ id: F }] } }),
    ];
    expect(broken(s)).toEqual(['function call arguments: deltas, then done, then item done']);
  });

  it('an error naming an event_id the client never sent', () => {
    const s = [
      inn({ type: 'session.created', session: {} }),
      out({ type: 'response.cancel', event_id: 'mine' }),
    ];
    expect(broken([...s, inn({ type: 'error', error: { code: 'x', event_id: 'mine' } })])).toEqual([]);
    expect(broken([...s, inn({ type: 'error', error: { code: 'x', event_id: 'other' } })])).toEqual([
      "error names the client's event_id",
    ]);
  });

  it('GA-only names on a beta connection', () => {
    const s = [
      rec('in', { type: 'session.created', session: {} }, 'beta'),
      rec('in', { type: 'conversation.item.added', item: { id: 'x' } }, 'beta'),
    ];
    expect(broken(s, 'beta')).toContain('event names match the dialect');
  });

  it('every rule has a name and description, and names are unique', () => {
    expect(new Set(RULES.map((r) => r.name)).size).toBe(RULES.length);
    for (const r of RULES) expect(r.description.length).toBeGreaterThan(10);
  });
});
