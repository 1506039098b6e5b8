/**
 * One scenario per client-triggerable error code the gateway documents (README "Error codes"), each
 * checked the same way: exactly one `error` with the code and type, the client's event_id, the
 * documented `param` (gateway profile), nothing else in answer, and the session still answering.
 * `any`: codes OpenAI sends for the same mistake (shared/realtime-protocol.md 4.5) or OpenAI's
 * validation names; `gateway`: codes this gateway defines where OpenAI's answer is unknown or differs.
 */
import type { KitClient } from '../client.js';
import { responseCreate, sessionUpdate, userText } from '../dialect.js';
import type { Dialect, SessionSettings } from '../dialect.js';
import { silence } from '../audio.js';
import { check } from '../runner.js';
import type { KitOptions, Scenario, ScenarioContext } from '../runner.js';
import { LONG_REQUEST } from './responses.js';
import { awaitItem, awaitResponse } from './steps.js';

type E = Record<string, unknown>;
/** What a case sends to provoke the error: an event (event_id added), or a raw frame. */
type Trigger = E | { raw: string | Buffer };

interface ErrorCase {
  code: string;
  /** Distinguishes several cases of one code in the scenario name. */
  variant?: string;
  scope: 'any' | 'gateway';
  /** Expected `param` per dialect (checked in the gateway profile). */
  param: string | null | { ga: string | null; beta: string | null };
  settings?: SessionSettings;
  transcription?: boolean;
  /** Scene-setting steps; what they return is handed to the trigger. */
  setup?: (c: KitClient, ctx: ScenarioContext) => Promise<E | void>;
  trigger: (d: Dialect, state: E, o: KitOptions) => Trigger;
  /** Responses run during the trigger (their events are set aside, then they are cancelled). */
  background?: boolean;
  /** The trigger carries no event_id to echo. */
  noEventId?: boolean;
  skipReason?: (o: KitOptions, d: Dialect) => string | null;
}

const append = (bytes: Uint8Array): E => ({
  type: 'input_audio_buffer.append',
  audio: Buffer.from(bytes).toString('base64'),
});
const manual: SessionSettings = { turnDetection: null, output: 'text' };
/** A conversation.item.truncate (item_id may be anything, to provoke validation errors). */
const truncate = (itemId: unknown, contentIndex: number, audioEndMs: number): E => ({
  type: 'conversation.item.truncate',
  item_id: itemId,
  content_index: contentIndex,
  audio_end_ms: audioEndMs,
});
/** Cases whose trigger exists only in GA (beta has no such field, content type or event). */
const gaOnly = (_o: KitOptions, d: Dialect) =>
  d === 'beta' ? 'GA only: beta has no such field, part or event' : null;
const assistantText = (d: Dialect, id: string): E => ({
  type: 'conversation.item.create',
  item: {
    id,
    type: 'message',
    role: 'assistant',
    content: [{ type: d === 'ga' ? 'output_text' : 'text', text: 'x' }],
  },
});

/** Starts a long spoken answer in the default conversation and waits until it runs. */
async function startLongAnswer(c: KitClient, d: Dialect): Promise<void> {
  c.send({ type: 'conversation.item.create', item: userText(LONG_REQUEST) });
  c.send(responseCreate(d, { output: 'audio' }));
  await c.next('response.created');
}

/** A finished spoken answer; returns its assistant item id. */
async function spokenAnswer(c: KitClient, d: Dialect): Promise<E> {
  c.send({ type: 'conversation.item.create', item: userText('Say hello.') });
  c.send(responseCreate(d, { output: 'audio' }));
  const r = await awaitResponse(c);
  return { itemId: (r.done.output as E[])[0]?.id };
}

const CASES: ErrorCase[] = [
  {
    code: 'invalid_json',
    scope: 'gateway',
    param: null,
    noEventId: true,
    trigger: () => ({ raw: '{"type": "session.update", ' }),
  },
  {
    code: 'invalid_event',
    variant: 'not-an-object',
    scope: 'any',
    param: null,
    noEventId: true,
    trigger: () => ({ raw: '[1, 2, 3]' }),
  },
  {
    code: 'invalid_event',
    variant: 'no-type',
    scope: 'any',
    param: 'type',
    trigger: () => ({ session: {} }),
  },
  {
    code: 'binary_frame_not_supported',
    scope: 'gateway',
    param: null,
    noEventId: true,
    trigger: () => ({ raw: Buffer.from([1, 2, 3]) }),
  },
  {
    code: 'invalid_value',
    variant: 'event-type',
    scope: 'any',
    param: 'type',
    trigger: () => ({ type: 'conversation.item.explode' }),
  },
  {
    code: 'invalid_value',
    variant: 'audio-format',
    scope: 'any',
    param: { ga: 'session.audio.input.format.type', beta: 'session.input_audio_format' },
    trigger: (d) =>
      d === 'ga'
        ? {
            type: 'session.update',
            session: { type: 'realtime', audio: { input: { format: { type: 'pcm16' } } } },
          }
        : { type: 'session.update', session: { input_audio_format: 'pcm24' } },
  },
  {
    code: 'invalid_type',
    scope: 'any',
    param: 'audio',
    trigger: () => ({ type: 'input_audio_buffer.append', audio: 42 }),
  },
  {
    code: 'unknown_parameter',
    scope: 'any',
    param: { ga: 'session.modalities', beta: 'session.output_modalities' },
    trigger: (d) =>
      d === 'ga'
        ? { type: 'session.update', session: { type: 'realtime', modalities: ['text'] } }
        : { type: 'session.update', session: { output_modalities: ['text'] } },
  },
  {
    code: 'missing_required_parameter',
    scope: 'any',
    param: { ga: 'session.type', beta: 'item_id' },
    trigger: (d) =>
      d === 'ga'
        ? { type: 'session.update', session: { instructions: 'x' } }
        : { type: 'conversation.item.truncate', content_index: 0, audio_end_ms: 0 },
  },
  {
    code: 'integer_below_min_value',
    scope: 'any',
    param: { ga: 'session.audio.input.format.rate', beta: 'audio_end_ms' },
    trigger: (d) =>
      d === 'ga'
        ? {
            type: 'session.update',
            session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } } },
          }
        : { type: 'conversation.item.truncate', item_id: 'x', content_index: 0, audio_end_ms: -1 },
  },
  {
    code: 'integer_above_max_value',
    scope: 'any',
    param: { ga: 'session.max_output_tokens', beta: 'session.max_response_output_tokens' },
    trigger: (d) => sessionUpdate(d, { maxOutputTokens: 5000 }),
  },
  {
    code: 'decimal_below_min_value',
    scope: 'any',
    param: { ga: 'session.audio.output.speed', beta: 'session.speed' },
    trigger: (d) =>
      d === 'ga'
        ? { type: 'session.update', session: { type: 'realtime', audio: { output: { speed: 0.1 } } } }
        : { type: 'session.update', session: { speed: 0.1 } },
  },
  {
    code: 'decimal_above_max_value',
    scope: 'any',
    param: { ga: 'session.audio.input.turn_detection.threshold', beta: 'session.turn_detection.threshold' },
    trigger: (d) => sessionUpdate(d, { turnDetection: { type: 'server_vad', threshold: 2 } }),
  },
  {
    code: 'string_above_max_length',
    scope: 'any',
    param: 'item_id',
    trigger: () => ({ type: 'conversation.item.delete', item_id: 'x'.repeat(300) }),
  },
  {
    code: 'array_above_max_length',
    scope: 'any',
    param: { ga: 'session.output_modalities', beta: 'session.modalities' },
    trigger: (d) =>
      d === 'ga'
        ? { type: 'session.update', session: { type: 'realtime', output_modalities: ['text', 'audio'] } }
        : { type: 'session.update', session: { modalities: ['text', 'audio', 'text'] } },
  },
  {
    code: 'array_below_min_length',
    scope: 'any',
    param: { ga: 'session.output_modalities', beta: 'session.modalities' },
    trigger: (d) =>
      d === 'ga'
        ? { type: 'session.update', session: { type: 'realtime', output_modalities: [] } }
        : { type: 'session.update', session: { modalities: [] } },
  },
  {
    code: 'message_too_large',
    scope: 'gateway',
    param: null,
    noEventId: true,
    trigger: (_d, _s, o) => {
      // Over the limit but under twice it (past which the socket is closed instead).
      const pad = 'a'.repeat(o.limits.MAX_MESSAGE_BYTES + 1024);
      return { raw: `{"type":"input_audio_buffer.clear","event_id":"kit_too_large","pad":"${pad}"}` };
    },
  },
  {
    code: 'invalid_audio',
    scope: 'gateway',
    param: 'audio',
    trigger: () => ({ type: 'input_audio_buffer.append', audio: 'not base64!!' }),
  },
  {
    code: 'invalid_audio_length',
    scope: 'gateway',
    param: 'audio',
    settings: manual,
    trigger: () => append(new Uint8Array(3)),
  },
  {
    code: 'input_audio_buffer_full',
    scope: 'gateway',
    param: 'audio',
    settings: manual,
    setup: async (c, ctx) => {
      // Up to 100 ms under the limit, in appends of at most 10 s that fit well in one message
      // (24 kHz PCM16 is 64 base64 characters per ms).
      const { MAX_INPUT_AUDIO_BUFFER_MS, MAX_MESSAGE_BYTES } = ctx.options.limits;
      const maxAppendMs = Math.min(10_000, Math.floor((MAX_MESSAGE_BYTES * 0.75) / 64));
      let left = MAX_INPUT_AUDIO_BUFFER_MS - 100;
      while (left > 0) {
        const ms = Math.min(left, maxAppendMs);
        c.send(append(silence('pcm', ms)));
        left -= ms;
      }
    },
    trigger: () => append(silence('pcm', 200)),
  },
  {
    code: 'input_audio_buffer_commit_empty',
    scope: 'any',
    param: null,
    settings: manual,
    setup: async (c) => c.send(append(silence('pcm', 50))),
    trigger: () => ({ type: 'input_audio_buffer.commit' }),
  },
  {
    code: 'conversation_already_has_active_response',
    scope: 'any',
    param: null,
    background: true,
    setup: async (c, ctx) => startLongAnswer(c, ctx.dialect),
    trigger: (d) => responseCreate(d),
  },
  {
    code: 'too_many_active_responses',
    scope: 'gateway',
    param: null,
    background: true,
    setup: async (c, ctx) => {
      await startLongAnswer(c, ctx.dialect);
      for (let i = 1; i < ctx.options.limits.MAX_CONCURRENT_RESPONSES; i++) {
        c.send(
          responseCreate(ctx.dialect, {
            conversation: 'none',
            output: 'audio',
            input: [userText(LONG_REQUEST)],
          }),
        );
        await c.next('response.created');
      }
    },
    trigger: (d) => responseCreate(d, { conversation: 'none', input: [userText('x')] }),
  },
  {
    code: 'response_cancel_not_active',
    scope: 'any',
    param: null,
    trigger: () => ({ type: 'response.cancel' }),
  },
  {
    code: 'response_cancel_not_active',
    variant: 'unknown-id',
    scope: 'gateway',
    param: 'response_id',
    background: true,
    setup: async (c, ctx) => startLongAnswer(c, ctx.dialect),
    trigger: () => ({ type: 'response.cancel', response_id: 'resp_unknown' }),
  },
  {
    code: 'item_not_found',
    variant: 'retrieve',
    scope: 'gateway',
    param: 'item_id',
    trigger: () => ({ type: 'conversation.item.retrieve', item_id: 'item_missing' }),
  },
  {
    code: 'item_not_found',
    variant: 'delete',
    scope: 'gateway',
    param: 'item_id',
    trigger: () => ({ type: 'conversation.item.delete', item_id: 'item_missing' }),
  },
  {
    code: 'item_not_found',
    variant: 'truncate',
    scope: 'gateway',
    param: 'item_id',
    trigger: () => truncate('item_missing', 0, 0),
  },
  {
    code: 'item_not_found',
    variant: 'previous-item',
    scope: 'gateway',
    param: 'previous_item_id',
    trigger: () => ({
      type: 'conversation.item.create',
      item: userText('x'),
      previous_item_id: 'item_missing',
    }),
  },
  {
    code: 'item_not_found',
    variant: 'item-reference',
    scope: 'gateway',
    param: 'response.input[0].id',
    trigger: (d) => responseCreate(d, { input: [{ type: 'item_reference', id: 'item_missing' }] }),
  },
  {
    code: 'duplicate_item_id',
    scope: 'gateway',
    param: 'item.id',
    setup: async (c) => {
      c.send({ type: 'conversation.item.create', item: userText('a', 'kit_mine') });
      await awaitItem(c, 'kit_mine');
    },
    trigger: () => ({ type: 'conversation.item.create', item: userText('b', 'kit_mine') }),
  },
  {
    code: 'conversation_item_limit_reached',
    scope: 'gateway',
    param: null,
    setup: async (c, ctx) => {
      const n = ctx.options.limits.MAX_CONVERSATION_ITEMS;
      for (let i = 0; i < n; i++)
        c.send({ type: 'conversation.item.create', item: userText(`item ${i}`, `kit_fill_${i}`) });
      await awaitItem(c, `kit_fill_${n - 1}`);
    },
    trigger: () => ({ type: 'conversation.item.create', item: userText('one too many') }),
  },
  {
    code: 'unsupported_content_type',
    variant: 'truncate-text',
    scope: 'any',
    param: 'item_id',
    setup: async (c) => {
      c.send({ type: 'conversation.item.create', item: userText('x', 'kit_u1') });
      await awaitItem(c, 'kit_u1');
    },
    trigger: () => truncate('kit_u1', 0, 0),
  },
  {
    code: 'unsupported_content_type',
    variant: 'input-image',
    scope: 'gateway',
    skipReason: gaOnly,
    param: 'item.content[0].type',
    trigger: () => ({
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_image', image_url: 'data:image/png;base64,AA==' }],
      },
    }),
  },
  {
    code: 'unsupported_content_type',
    variant: 'assistant-audio',
    scope: 'gateway',
    param: 'item.content[0].type',
    trigger: (d) => ({
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'assistant',
        content: [{ type: d === 'ga' ? 'output_audio' : 'audio', transcript: 'hi' }],
      },
    }),
  },
  {
    code: 'invalid_content_index',
    scope: 'gateway',
    param: 'content_index',
    setup: async (c, ctx) => {
      c.send(assistantText(ctx.dialect, 'kit_a1'));
      await awaitItem(c, 'kit_a1');
    },
    trigger: () => truncate('kit_a1', 3, 0),
  },
  {
    code: 'audio_end_ms_out_of_range',
    scope: 'gateway',
    param: 'audio_end_ms',
    setup: (c, ctx) => spokenAnswer(c, ctx.dialect),
    trigger: (_d, s) => truncate(s.itemId, 0, 999_999),
  },
  {
    code: 'invalid_call_id',
    scope: 'gateway',
    param: 'item.call_id',
    trigger: () => ({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: 'call_nope', output: 'x' },
    }),
  },
  {
    code: 'invalid_tool_choice',
    variant: 'session',
    scope: 'gateway',
    param: 'session.tool_choice.name',
    trigger: (d) =>
      sessionUpdate(d, {
        tools: [{ type: 'function', name: 'lookup' }],
        toolChoice: { type: 'function', name: 'other' },
      }),
  },
  {
    code: 'invalid_tool_choice',
    variant: 'response',
    scope: 'gateway',
    param: 'response.tool_choice.name',
    trigger: (d) => responseCreate(d, { toolChoice: { type: 'function', name: 'other' } }),
  },
  {
    code: 'unsupported_tool_type',
    scope: 'gateway',
    param: 'session.tools[0].type',
    trigger: (d) =>
      sessionUpdate(d, {
        tools: [{ type: 'mcp', server_label: 'x', server_url: 'https://example.invalid' }],
      }),
  },
  {
    code: 'cannot_update_model',
    scope: 'gateway',
    param: 'session.model',
    trigger: (d) => ({
      type: 'session.update',
      session: { ...(sessionUpdate(d, {}).session as E), model: 'another-model' },
    }),
  },
  {
    code: 'cannot_update_voice',
    scope: 'gateway',
    param: { ga: 'session.audio.output.voice', beta: 'session.voice' },
    setup: (c, ctx) => spokenAnswer(c, ctx.dialect),
    trigger: (d) => sessionUpdate(d, { voice: 'verse' }),
  },
  {
    code: 'cannot_change_session_type',
    scope: 'gateway',
    param: 'session.type',
    skipReason: gaOnly,
    trigger: () => ({ type: 'session.update', session: { type: 'transcription' } }),
  },
  {
    code: 'invalid_request',
    scope: 'gateway',
    param: 'type',
    transcription: true,
    trigger: () => ({ type: 'response.create' }),
  },
  {
    code: 'unsupported_event',
    variant: 'output-audio-buffer-clear',
    scope: 'gateway',
    param: 'type',
    trigger: () => ({ type: 'output_audio_buffer.clear' }),
  },
  {
    code: 'unsupported_event',
    variant: 'session-close',
    scope: 'gateway',
    param: 'type',
    skipReason: gaOnly,
    trigger: () => ({ type: 'session.close' }),
  },
  {
    code: 'turn_detection_unavailable',
    scope: 'gateway',
    param: { ga: 'session.audio.input.turn_detection', beta: 'session.turn_detection' },
    settings: { turnDetection: { type: 'server_vad' } },
    skipReason: (o) => (o.vad ? 'only a server without turn detection sends it (--no-vad)' : null),
    trigger: () => append(silence('pcm', 20)),
  },
];

/** The error code's `error.type`. */
const ERROR_TYPE = 'invalid_request_error';

function expectedParam(c: ErrorCase, d: Dialect): string | null {
  return c.param !== null && typeof c.param === 'object' ? c.param[d] : c.param;
}

function toScenario(c: ErrorCase): Scenario {
  return {
    name: `error.${c.code}${c.variant ? `.${c.variant}` : ''}`,
    description: `The ${c.code} error: one error event, right fields, nothing else, the session goes on.`,
    scope: c.scope,
    ...(c.skipReason ? { skipReason: (o: KitOptions) => c.skipReason!(o, o.endpoint.dialect) } : {}),
    run: async (ctx) => {
      const d = ctx.dialect;
      const client = await ctx.session(c.settings, c.transcription ? { transcription: true } : {});
      const state = (await c.setup?.(client, ctx)) ?? {};
      const eventId = `kit_${c.code}`;
      const trigger = c.trigger(d, state, ctx.options);
      const mark = client.mark();
      if ('raw' in trigger) client.sendRaw(trigger.raw as string | Buffer, '(raw frame)');
      else client.send({ ...trigger, event_id: eventId });
      // A sentinel every server answers: whatever comes before its answer answers the trigger.
      client.send({ type: 'input_audio_buffer.clear', event_id: 'kit_sentinel' });
      await client.next('input_audio_buffer.cleared', () => true, mark);
      const answer = client
        .received(mark)
        .slice(
          0,
          client.received(mark).findIndex((r) => r.ga === 'input_audio_buffer.cleared'),
        )
        .filter(
          (r) => !(c.background && (r.ga.startsWith('response.') || r.ga.startsWith('conversation.item.'))),
        );
      check(
        answer.length === 1 && answer[0]!.ga === 'error',
        `answered [${answer.map((r) => r.ga).join(', ')}], expected exactly one error`,
      );
      const error = answer[0]!.e.error as E;
      check(
        error.code === c.code,
        `error.code ${JSON.stringify(error.code)}, expected ${c.code} (${String(error.message)})`,
      );
      check(error.type === ERROR_TYPE, `error.type ${JSON.stringify(error.type)}`);
      check(typeof error.message === 'string' && error.message.length > 0, 'error.message is empty');
      const wantId = c.noEventId ? null : eventId;
      check(
        (error.event_id ?? null) === wantId,
        `error.event_id ${JSON.stringify(error.event_id)}, expected ${JSON.stringify(wantId)}`,
      );
      if (ctx.options.profile === 'gateway') {
        const want = expectedParam(c, d);
        check(
          (error.param ?? null) === want,
          `error.param ${JSON.stringify(error.param)}, expected ${JSON.stringify(want)}`,
        );
      }
      if (c.background) {
        // Leave no response running: cancel each, wait for its response.done.
        const ins = client.received();
        const created = ins.filter((r) => r.ga === 'response.created').map((r) => (r.e.response as E).id);
        const done = new Set(ins.filter((r) => r.ga === 'response.done').map((r) => (r.e.response as E).id));
        for (const id of created.filter((x) => !done.has(x))) {
          client.send({ type: 'response.cancel', response_id: id });
          await client.next('response.done', (e) => (e.response as E).id === id, 0);
        }
      }
    },
  };
}

/** session_expired: only when the server's session limit is short enough to wait for. */
const SESSION_EXPIRED: Scenario = {
  name: 'error.session_expired',
  description: 'At the maximum session duration: error session_expired, then close 1001.',
  scope: 'any',
  skipReason: (o) =>
    o.limits.MAX_SESSION_DURATION_MS > MAX_EXPIRY_WAIT_MS
      ? `the session limit is ${o.limits.MAX_SESSION_DURATION_MS} ms (pass --limit MAX_SESSION_DURATION_MS=... for a server with a short one)`
      : null,
  run: async (ctx) => {
    const c = await ctx.session();
    const limit = ctx.options.limits.MAX_SESSION_DURATION_MS;
    const error = await c.next('error', () => true, undefined, limit + ctx.options.endpoint.stepTimeoutMs);
    check((error.error as E).code === 'session_expired', `error.code ${String((error.error as E).code)}`);
    const closed = await c.waitClosed();
    check(closed.code === 1001, `closed with ${closed.code}, expected 1001`);
  },
};
/** The longest session limit the kit waits out. */
const MAX_EXPIRY_WAIT_MS = 60_000;

export const ERROR_SCENARIOS: Scenario[] = [...CASES.map(toScenario), SESSION_EXPIRED];
