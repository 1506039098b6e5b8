/**
 * One golden case per session-level error code in the registry: the trigger gets exactly one
 * `error` with the registry's `type`, the right `code` and `param` and the client's `event_id`;
 * nothing else is sent and the session keeps working. Handshake codes are in
 * test/e2e/handshake.test.ts; `message_too_large` in test/e2e/handshake.test.ts. A registry code
 * with no case here or there fails the coverage test.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../protocol/realtime/index.js';
import type { ErrorCode } from '../../protocol/realtime/index.js';
import { Harness, pcmSilence, userText } from '../helpers/session-harness.js';
import type { HarnessOptions } from '../helpers/session-harness.js';

interface Case {
  code: ErrorCode;
  param: string | null;
  options?: HarnessOptions;
  /** Events that set the scene (their answers are not checked). */
  setup?: (object | string)[];
  /** The event that must be refused (`event_id` is added unless it is a string). */
  trigger: object | string;
  /** The refusal echoes no client event_id (the trigger has none to echo). */
  noEventId?: boolean;
}

const manual = {
  type: 'session.update',
  session: { type: 'realtime', audio: { input: { turn_detection: null } } },
};
const slowLlm: HarnessOptions = { llm: () => [{ type: 'wait', ms: 10_000 }] };
const tool = { type: 'function', name: 'lookup' };

const CASES: Case[] = [
  { code: 'invalid_json', param: null, trigger: '{"type": "session.update", ', noEventId: true },
  { code: 'invalid_event', param: null, trigger: '[1, 2, 3]', noEventId: true },
  { code: 'invalid_event', param: 'type', trigger: { session: {} } },
  { code: 'invalid_value', param: 'type', trigger: { type: 'conversation.item.explode' } },
  { code: 'invalid_type', param: 'audio', trigger: { type: 'input_audio_buffer.append', audio: 42 } },
  {
    code: 'unknown_parameter',
    param: 'session.modalities',
    trigger: { type: 'session.update', session: { type: 'realtime', modalities: ['text'] } },
  },
  {
    code: 'missing_required_parameter',
    param: 'session.type',
    trigger: { type: 'session.update', session: { instructions: 'x' } },
  },
  {
    code: 'integer_below_min_value',
    param: 'session.audio.input.format.rate',
    trigger: {
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } } },
    },
  },
  {
    code: 'integer_above_max_value',
    param: 'session.max_output_tokens',
    trigger: { type: 'session.update', session: { type: 'realtime', max_output_tokens: 5000 } },
  },
  {
    code: 'decimal_below_min_value',
    param: 'session.audio.output.speed',
    trigger: { type: 'session.update', session: { type: 'realtime', audio: { output: { speed: 0.1 } } } },
  },
  {
    code: 'decimal_above_max_value',
    param: 'session.audio.input.turn_detection.threshold',
    trigger: {
      type: 'session.update',
      session: {
        type: 'realtime',
        audio: { input: { turn_detection: { type: 'server_vad', threshold: 2 } } },
      },
    },
  },
  {
    code: 'string_above_max_length',
    param: 'item_id',
    trigger: { type: 'conversation.item.delete', item_id: 'x'.repeat(300) },
  },
  {
    code: 'array_above_max_length',
    param: 'session.output_modalities',
    trigger: { type: 'session.update', session: { type: 'realtime', output_modalities: ['text', 'audio'] } },
  },
  {
    code: 'array_below_min_length',
    param: 'session.output_modalities',
    trigger: { type: 'session.update', session: { type: 'realtime', output_modalities: [] } },
  },
  {
    code: 'invalid_value',
    param: 'session.audio.input.format.type',
    trigger: {
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { format: { type: 'pcm16' } } } },
    },
  },
  { code: 'binary_frame_not_supported', param: null, trigger: 'BINARY', noEventId: true },
  {
    code: 'invalid_audio',
    param: 'audio',
    trigger: { type: 'input_audio_buffer.append', audio: 'not base64!!' },
  },
  {
    code: 'invalid_audio_length',
    param: 'audio',
    trigger: { type: 'input_audio_buffer.append', audio: Buffer.alloc(3).toString('base64') },
  },
  {
    code: 'input_audio_buffer_full',
    param: 'audio',
    options: { limits: { maxInputAudioBufferMs: 1000 } },
    setup: [manual, { type: 'input_audio_buffer.append', audio: pcmSilence(900) }],
    trigger: { type: 'input_audio_buffer.append', audio: pcmSilence(200) },
  },
  {
    code: 'input_audio_buffer_commit_empty',
    param: null,
    setup: [manual, { type: 'input_audio_buffer.append', audio: pcmSilence(50) }],
    trigger: { type: 'input_audio_buffer.commit' },
  },
  {
    code: 'conversation_already_has_active_response',
    param: null,
    options: slowLlm,
    setup: [{ type: 'response.create' }],
    trigger: { type: 'response.create' },
  },
  { code: 'response_cancel_not_active', param: null, trigger: { type: 'response.cancel' } },
  {
    code: 'too_many_active_responses',
    param: null,
    options: { ...slowLlm, limits: { maxConcurrentResponses: 2 } },
    setup: [{ type: 'response.create' }, { type: 'response.create', response: { conversation: 'none' } }],
    trigger: { type: 'response.create', response: { conversation: 'none' } },
  },
  {
    code: 'response_cancel_not_active',
    param: 'response_id',
    options: slowLlm,
    setup: [{ type: 'response.create' }],
    trigger: { type: 'response.cancel', response_id: 'resp_unknown' },
  },
  {
    code: 'item_not_found',
    param: 'item_id',
    trigger: { type: 'conversation.item.retrieve', item_id: 'item_missing' },
  },
  {
    code: 'item_not_found',
    param: 'item_id',
    trigger: { type: 'conversation.item.delete', item_id: 'item_missing' },
  },
  {
    code: 'item_not_found',
    param: 'item_id',
    trigger: {
      type: 'conversation.item.truncate',
      item_id: 'item_missing',
      content_index: 0,
      audio_end_ms: 0,
    },
  },
  {
    code: 'item_not_found',
    param: 'previous_item_id',
    trigger: { ...userText('x'), previous_item_id: 'item_missing' },
  },
  {
    code: 'item_not_found',
    param: 'response.input[0].id',
    trigger: {
      type: 'response.create',
      response: { input: [{ type: 'item_reference', id: 'item_missing' }] },
    },
  },
  {
    code: 'duplicate_item_id',
    param: 'item.id',
    setup: [
      { type: 'conversation.item.create', item: { id: 'mine', type: 'message', role: 'user', content: [] } },
    ],
    trigger: {
      type: 'conversation.item.create',
      item: { id: 'mine', type: 'message', role: 'user', content: [] },
    },
  },
  {
    code: 'conversation_item_limit_reached',
    param: null,
    options: { limits: { maxConversationItems: 1 } },
    setup: [userText('a')],
    trigger: userText('b'),
  },
  {
    code: 'unsupported_content_type',
    param: 'item.content[0].type',
    trigger: {
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_image', image_url: 'data:image/png;base64,AA==' }],
      },
    },
  },
  {
    code: 'unsupported_content_type',
    param: 'item.content[0].type',
    trigger: {
      type: 'conversation.item.create',
      item: { type: 'message', role: 'assistant', content: [{ type: 'output_audio', transcript: 'hi' }] },
    },
  },
  {
    code: 'unsupported_content_type',
    param: 'item_id',
    setup: [
      {
        type: 'conversation.item.create',
        item: { id: 'u1', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x' }] },
      },
    ],
    trigger: { type: 'conversation.item.truncate', item_id: 'u1', content_index: 0, audio_end_ms: 0 },
  },
  {
    code: 'invalid_content_index',
    param: 'content_index',
    setup: [
      {
        type: 'conversation.item.create',
        item: { id: 'a1', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'x' }] },
      },
    ],
    trigger: { type: 'conversation.item.truncate', item_id: 'a1', content_index: 3, audio_end_ms: 0 },
  },
  {
    code: 'invalid_call_id',
    param: 'item.call_id',
    trigger: {
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: 'call_nope', output: 'x' },
    },
  },
  {
    code: 'invalid_tool_choice',
    param: 'session.tool_choice.name',
    trigger: {
      type: 'session.update',
      session: { type: 'realtime', tools: [tool], tool_choice: { type: 'function', name: 'other' } },
    },
  },
  {
    code: 'invalid_tool_choice',
    param: 'response.tool_choice.name',
    trigger: { type: 'response.create', response: { tool_choice: { type: 'function', name: 'other' } } },
  },
  {
    code: 'unsupported_tool_type',
    param: 'session.tools[0].type',
    trigger: {
      type: 'session.update',
      session: {
        type: 'realtime',
        tools: [{ type: 'mcp', server_label: 'x', server_url: 'https://example.invalid' }],
      },
    },
  },
  {
    code: 'cannot_update_model',
    param: 'session.model',
    trigger: { type: 'session.update', session: { type: 'realtime', model: 'another-model' } },
  },
  {
    code: 'cannot_change_session_type',
    param: 'session.type',
    trigger: { type: 'session.update', session: { type: 'transcription' } },
  },
  {
    code: 'turn_detection_unavailable',
    param: 'session.audio.input.turn_detection',
    trigger: { type: 'input_audio_buffer.append', audio: pcmSilence(20) },
  },
  {
    code: 'invalid_request',
    param: 'type',
    options: { kind: 'transcription' },
    trigger: { type: 'response.create' },
  },
  { code: 'unsupported_event', param: 'type', trigger: { type: 'output_audio_buffer.clear' } },
  { code: 'unsupported_event', param: 'type', trigger: { type: 'session.close' } },
];

let counter = 0;

describe('error codes: one error, right fields, nothing else changes', () => {
  for (const c of CASES) {
    it(`${c.code} (${c.param ?? 'no param'})`, async () => {
      const h = new Harness(c.options);
      for (const e of c.setup ?? []) h.send(e);
      await new Promise((r) => setTimeout(r, 5));
      const before = h.events.length;
      const eventId = `evt_${++counter}`;
      if (c.trigger === 'BINARY') h.session.receive('', true);
      else h.send(typeof c.trigger === 'string' ? c.trigger : { ...c.trigger, event_id: eventId });
      await new Promise((r) => setTimeout(r, 5));
      const after = h.events.slice(before);
      expect(after.map((e) => e.type)).toEqual(['error']);
      expect(h.lastError()).toEqual({
        type: ERROR_CODES[c.code].type,
        code: c.code,
        message: expect.any(String),
        param: c.param,
        event_id: c.noEventId ? null : eventId,
      });
      // The session still works: a fresh text response completes.
      if (
        c.options?.kind !== 'transcription' &&
        c.options?.llm !== slowLlm.llm &&
        !c.options?.limits?.maxConversationItems
      ) {
        const mark = h.events.length;
        h.send({ type: 'response.create', response: { output_modalities: ['text'], conversation: 'none' } });
        const done = await h.waitFor('response.done', mark);
        expect(done.type === 'response.done' && done.response.status).toBe('completed');
      }
    });
  }

  it('cannot_update_voice once audio has been produced', async () => {
    const h = new Harness();
    h.send(userText('hi'));
    h.send({ type: 'response.create' });
    await h.waitFor('response.done');
    h.send({
      type: 'session.update',
      event_id: 'v1',
      session: { type: 'realtime', audio: { output: { voice: 'verse' } } },
    });
    expect(h.lastError()).toMatchObject({
      code: 'cannot_update_voice',
      param: 'session.audio.output.voice',
      event_id: 'v1',
    });
    // The same voice is not a change.
    const mark = h.events.length;
    h.send({ type: 'session.update', session: { type: 'realtime', audio: { output: { voice: 'alloy' } } } });
    expect(h.types(mark)).toEqual(['session.updated']);
  });

  it('audio_end_ms_out_of_range past the end of the audio', async () => {
    const h = new Harness();
    h.send(userText('one two three'));
    h.send({ type: 'response.create' });
    const done = await h.waitFor('response.done');
    const itemId = (done as { response: { output: { id: string }[] } }).response.output[0]!.id;
    h.send({
      type: 'conversation.item.truncate',
      event_id: 't1',
      item_id: itemId,
      content_index: 0,
      audio_end_ms: 999_999,
    });
    expect(h.lastError()).toMatchObject({
      code: 'audio_end_ms_out_of_range',
      param: 'audio_end_ms',
      event_id: 't1',
    });
  });

  it('too_many_pending_events: refusals come after session.created and the queued events', () => {
    const h = new Harness({ start: false, limits: { maxPendingEvents: 2 } });
    h.send({ ...userText('a'), event_id: 'p1' });
    h.send({ ...userText('b'), event_id: 'p2' });
    h.send({ ...userText('c'), event_id: 'p3' });
    h.session.start();
    expect(h.types()).toEqual([
      'session.created',
      'conversation.item.added',
      'conversation.item.done',
      'conversation.item.added',
      'conversation.item.done',
      'error',
    ]);
    expect(h.lastError()).toMatchObject({ code: 'too_many_pending_events', event_id: 'p3' });
  });

  it('session_expired then close 1001 at the maximum duration', async () => {
    const h = new Harness({ limits: { maxSessionDurationMs: 30 } });
    await h.waitFor('error');
    expect(h.lastError()).toMatchObject({ code: 'session_expired', type: 'invalid_request_error' });
    expect(h.closes).toEqual([{ code: 1001, reason: 'session expired' }]);
  });

  it('session_expired then close 1001 after the idle timeout', async () => {
    const h = new Harness({ limits: { idleTimeoutMs: 30 } });
    await h.waitFor('error');
    expect(h.lastError()).toMatchObject({
      code: 'session_expired',
      type: 'invalid_request_error',
      param: null,
    });
    expect(h.closes).toEqual([{ code: 1001, reason: 'session idle' }]);
  });

  it('server_error when a handler throws; the session keeps working', async () => {
    const h = new Harness();
    const conversation = (h.session as unknown as { conversation: { insert: unknown } }).conversation;
    const insert = conversation.insert;
    conversation.insert = () => {
      throw new Error('boom');
    };
    h.send({ ...userText('x'), event_id: 's1' });
    expect(h.lastError()).toMatchObject({ code: 'server_error', type: 'server_error', event_id: 's1' });
    conversation.insert = insert;
    const mark = h.events.length;
    h.send({ type: 'response.create', response: { output_modalities: ['text'] } });
    expect((await h.waitFor('response.done', mark)).type).toBe('response.done');
  });

  it('provider_error: a failing LLM ends the response failed, not the session', async () => {
    const h = new Harness({
      llm: () => [
        { type: 'text', delta: 'Hi. ' },
        { type: 'fail', message: 'upstream 500' },
      ],
    });
    h.send({ type: 'response.create' });
    const done = await h.waitFor('response.done');
    expect(done.type === 'response.done' && done.response).toMatchObject({
      status: 'failed',
      status_details: { type: 'failed', error: { type: 'server_error', code: 'provider_error' } },
      output: [{ status: 'incomplete' }],
    });
  });

  it('context_length_exceeded: with truncation disabled, a conversation over the LLM context fails the response', async () => {
    // 8,192 tokens less the answer's 4,096 and the instructions leave about 4,000 for 60 items of 100.
    const h = new Harness({ limits: { llmContextTokens: 8_192 } });
    h.send({ type: 'session.update', session: { type: 'realtime', truncation: 'disabled' } });
    for (let i = 0; i < 60; i++) h.send(userText(`${i} ${'word '.repeat(58)}`));
    h.send({ type: 'response.create' });
    const done = await h.waitFor('response.done');
    expect(done.type === 'response.done' && done.response).toMatchObject({
      status: 'failed',
      status_details: {
        type: 'failed',
        error: { type: 'invalid_request_error', code: 'context_length_exceeded' },
      },
    });
    expect(h.llm.requests).toHaveLength(0);
    // The session goes on: with the oldest items left out the same conversation is answered.
    h.send({ type: 'session.update', session: { type: 'realtime', truncation: 'auto' } });
    h.send({ type: 'response.create' });
    const next = await h.waitFor('response.done', h.events.indexOf(done) + 1);
    expect(next.type === 'response.done' && next.response.status).toBe('completed');
  });
});

/**
 * Codes exercised elsewhere: handshake refusals and the ws frame limit (test/e2e/handshake.test.ts),
 * session caps and the drain (test/e2e/operations.test.ts).
 */
const ELSEWHERE: ErrorCode[] = [
  'invalid_api_key',
  'origin_not_allowed',
  'not_found',
  'invalid_handshake',
  'message_too_large',
  'session_limit_reached',
  'server_draining',
];
const NAMED_TESTS: ErrorCode[] = [
  'cannot_update_voice',
  'audio_end_ms_out_of_range',
  'too_many_pending_events',
  'session_expired',
  'server_error',
  'provider_error',
  'context_length_exceeded',
];

it('every registry code has a golden case', () => {
  const covered = new Set<string>([...CASES.map((c) => c.code), ...ELSEWHERE, ...NAMED_TESTS]);
  expect(Object.keys(ERROR_CODES).filter((c) => !covered.has(c))).toEqual([]);
});
