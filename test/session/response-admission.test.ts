/** Which responses may start, in which order their refusals are reported, and with what context. */
import { describe, expect, it } from 'vitest';
import type { ResponseParams } from '../../protocol/realtime/index.js';
import { Conversation } from '../../src/session/conversation.js';
import type { Entry } from '../../src/session/conversation.js';
import { admitResponse } from '../../src/session/response-admission.js';
import { Harness, pcmSilence } from '../helpers/session-harness.js';
import type { AdmissionState } from '../../src/session/response-admission.js';
import { defaultRealtimeSession, defaultTranscriptionSession } from '../../src/session/session-config.js';

const defaults = {
  id: 'sess_1',
  model: 'gpt-realtime',
  expiresAt: 0,
  instructions: '',
  voice: 'alloy',
  turnDetection: 'server_vad',
} as const;

function textEntry(id: string, text: string): Entry {
  return {
    item: {
      id,
      type: 'message',
      object: 'realtime.item',
      status: 'completed',
      role: 'user',
      content: [{ type: 'input_text', text }],
    } as Entry['item'],
    extras: {},
  };
}

function state(over: Partial<AdmissionState> = {}): AdmissionState {
  const conversation = new Conversation(10, 1024);
  conversation.insert(textEntry('item_a', 'hello'));
  return {
    session: defaultRealtimeSession(defaults),
    conversation,
    activeInConversation: undefined,
    activeCount: 0,
    maxConcurrentResponses: 4,
    ...over,
  };
}

/** A user message with 100 ms of inline 24 kHz audio, as `response.input` may carry. */
const userAudio = {
  type: 'message',
  role: 'user',
  content: [{ type: 'input_audio', audio: Buffer.alloc(4800).toString('base64') }],
};

const refusal = (params: ResponseParams, s: AdmissionState) => {
  const r = admitResponse(params, s);
  return r.ok ? null : { code: r.code, param: r.param };
};

describe('admitResponse', () => {
  it('refuses a transcription session', () => {
    expect(refusal({}, state({ session: defaultTranscriptionSession(defaults) }))).toEqual({
      code: 'invalid_request',
      param: 'type',
    });
  });

  it('refuses a second response in the conversation, but not one out of band', () => {
    const busy = state({ activeInConversation: 'resp_1', activeCount: 1 });
    const r = admitResponse({}, busy);
    expect(r).toMatchObject({ ok: false, code: 'conversation_already_has_active_response', param: null });
    expect(r.ok ? '' : r.message).toContain('resp_1');
    expect(admitResponse({ conversation: 'none' }, busy)).toMatchObject({ ok: true, outOfBand: true });
  });

  it('reports the active response before a bad tool choice, and the tool choice when idle', () => {
    const params = { tool_choice: { type: 'function', name: 'missing' } } as ResponseParams;
    expect(refusal(params, state({ activeInConversation: 'resp_1', activeCount: 1 }))?.code).toBe(
      'conversation_already_has_active_response',
    );
    expect(refusal(params, state())?.param).toBe('response.tool_choice.name');
  });

  it('refuses a full conversation in band only', () => {
    const full = state({ conversation: new Conversation(0, 1024) });
    expect(refusal({}, full)).toEqual({ code: 'conversation_item_limit_reached', param: null });
    expect(admitResponse({ conversation: 'none' }, full).ok).toBe(true);
  });

  it('refuses past the most responses a session may run at once', () => {
    expect(refusal({ conversation: 'none' }, state({ activeCount: 4 }))).toEqual({
      code: 'too_many_active_responses',
      param: null,
    });
  });

  it('takes a snapshot of the conversation as the context', () => {
    const s = state();
    const r = admitResponse({}, s);
    s.conversation.insert(textEntry('item_b', 'later'));
    expect(r.ok && r.context.map((e) => e.item.id)).toEqual(['item_a']);
  });

  it('builds the context from response.input, with its inline audio to transcribe', () => {
    const r = admitResponse(
      {
        conversation: 'none',
        input: [{ type: 'item_reference', id: 'item_a' }, userAudio],
      } as ResponseParams,
      state(),
    );
    if (!r.ok) throw new Error(`refused: ${r.code}`);
    expect(r.context).toHaveLength(2);
    expect(r.context[0]?.item.id).toBe('item_a');
    expect(r.clientItems).toHaveLength(1);
    expect(r.clientItems[0]?.entry).toBe(r.context[1]);
    expect(r.clientItems[0]?.audio?.byteLength).toBe(4800);
  });

  it('refuses an input that names a missing item, with its path', () => {
    const r = admitResponse(
      {
        input: [userAudio, { type: 'item_reference', id: 'item_nope' }],
      } as ResponseParams,
      state(),
    );
    expect(r).toMatchObject({ ok: false, code: 'item_not_found', param: 'response.input[1].id' });
  });
});

describe('a refused response in a session', () => {
  it('transcribes none of its inline audio; an admitted one does', async () => {
    const h = new Harness({ stt: ['heard'] });
    const audio = {
      type: 'message',
      role: 'user',
      content: [{ type: 'input_audio', audio: pcmSilence(200) }],
    };
    h.send({
      type: 'response.create',
      response: { conversation: 'none', input: [audio, { type: 'item_reference', id: 'item_nope' }] },
    });
    await h.waitFor('error');
    await new Promise((r) => setTimeout(r, 50));
    expect(h.stt.finals).toBe(0);
    h.send({ type: 'response.create', response: { conversation: 'none', input: [audio] } });
    await h.waitFor('response.done');
    expect(h.stt.finals).toBe(1);
    h.session.close();
  });
});
