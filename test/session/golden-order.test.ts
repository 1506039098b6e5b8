/**
 * Golden event orders (shared/realtime-protocol.md 4.1 to 4.4): session start, a text turn, an
 * audio turn, a function call, an out-of-band response and a cancel. Every emitted event must also
 * match its server schema.
 */
import { describe, expect, it } from 'vitest';
import { Harness, pcmSilence, userText } from '../helpers/session-harness.js';

/** Collapses runs of one delta type into `type*`, so orders compare regardless of chunk counts. */
function shape(types: string[]): string[] {
  const out: string[] = [];
  for (const t of types) {
    const label = t.endsWith('.delta') ? `${t}*` : t;
    if (label.endsWith('*') && out.at(-1) === label) continue;
    out.push(label);
  }
  return out;
}

const TEXT_TURN = [
  'response.created',
  'response.output_item.added',
  'conversation.item.added',
  'response.content_part.added',
  'response.output_text.delta*',
  'response.output_text.done',
  'response.content_part.done',
  'response.output_item.done',
  'conversation.item.done',
  'response.done',
];

describe('golden event order', () => {
  it('session start: session.created first, then session.updated for an update sent before it', () => {
    const h = new Harness({ start: false });
    h.send({ type: 'session.update', session: { type: 'realtime', instructions: 'x' } });
    expect(h.events).toHaveLength(0);
    h.session.start();
    expect(h.types()).toEqual(['session.created', 'session.updated']);
    const updated = h.events[1]!;
    expect(
      updated.type === 'session.updated' &&
        updated.session.type === 'realtime' &&
        updated.session.instructions,
    ).toBe('x');
    expect(h.invalidEvents()).toEqual([]);
  });

  it('text turn: item added/done, then the full response skeleton', async () => {
    const h = new Harness();
    h.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
    const mark = h.events.length;
    h.send(userText('hello'));
    h.send({ type: 'response.create' });
    await h.waitFor('response.done', mark);
    expect(shape(h.types(mark))).toEqual(['conversation.item.added', 'conversation.item.done', ...TEXT_TURN]);
    const done = h.events.at(-1)!;
    expect(done.type === 'response.done' && done.response.status).toBe('completed');
    expect(h.invalidEvents()).toEqual([]);
  });

  it('audio turn: transcript and audio deltas inside the part, audio.done before transcript.done', async () => {
    const h = new Harness();
    h.send(userText('speak to me'));
    const mark = h.events.length;
    h.send({ type: 'response.create' });
    await h.waitFor('response.done', mark);
    const types = h.types(mark);
    const start = types.indexOf('response.content_part.added');
    const end = types.indexOf('response.output_audio.done');
    const deltas = new Set(types.slice(start + 1, end));
    expect(deltas).toEqual(
      new Set(['response.output_audio_transcript.delta', 'response.output_audio.delta']),
    );
    expect(types.filter((t) => !t.endsWith('.delta'))).toEqual([
      'response.created',
      'response.output_item.added',
      'conversation.item.added',
      'response.content_part.added',
      'response.output_audio.done',
      'response.output_audio_transcript.done',
      'response.content_part.done',
      'response.output_item.done',
      'conversation.item.done',
      'response.done',
    ]);
    const itemDone = h.events.find((e) => e.type === 'response.output_item.done')!;
    expect(itemDone.type === 'response.output_item.done' && itemDone.item).toMatchObject({
      status: 'completed',
      content: [{ type: 'output_audio', transcript: 'You said: speak to me.' }],
    });
    expect(h.invalidEvents()).toEqual([]);
  });

  it('function call: arguments delta and done carry the call, item completed', async () => {
    const h = new Harness();
    h.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }],
      },
    });
    h.send(userText('please call get_weather {"city":"Paris"}'));
    const mark = h.events.length;
    h.send({ type: 'response.create' });
    await h.waitFor('response.done', mark);
    expect(shape(h.types(mark))).toEqual([
      'response.created',
      'response.output_item.added',
      'conversation.item.added',
      'response.function_call_arguments.delta*',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'conversation.item.done',
      'response.done',
    ]);
    const args = h.events.find((e) => e.type === 'response.function_call_arguments.done')!;
    expect(args).toMatchObject({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    const item = h.events.find((e) => e.type === 'response.output_item.done')!;
    expect(item.type === 'response.output_item.done' && item.item).toMatchObject({
      type: 'function_call',
      status: 'completed',
    });
    // The round trip: the client answers with the output and asks again.
    const callId = (args as { call_id: string }).call_id;
    const mark2 = h.events.length;
    h.send({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: callId, output: '21 C' },
    });
    h.send({ type: 'response.create', response: { output_modalities: ['text'] } });
    await h.waitFor('response.done', mark2);
    const text = h.events.find((e, i) => i >= mark2 && e.type === 'response.output_text.done');
    expect(text).toMatchObject({ text: 'The result is 21 C.' });
    expect(h.invalidEvents()).toEqual([]);
  });

  it('out-of-band response: no conversation events, conversation_id null, metadata echoed', async () => {
    const h = new Harness();
    h.send(userText('hello'));
    const mark = h.events.length;
    h.send({
      type: 'response.create',
      response: {
        conversation: 'none',
        output_modalities: ['text'],
        metadata: { topic: 'summary' },
        input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'summarise' }] }],
      },
    });
    await h.waitFor('response.done', mark);
    expect(shape(h.types(mark))).toEqual(TEXT_TURN.filter((t) => !t.startsWith('conversation.')));
    const done = h.events.at(-1)!;
    expect(done.type === 'response.done' && done.response).toMatchObject({
      conversation_id: null,
      metadata: { topic: 'summary' },
    });
    expect(h.llm.requests.at(-1)?.messages).toEqual([{ role: 'user', content: 'summarise' }]);
    // Nothing was added: retrieving the out-of-band item fails.
    const itemId = (h.events.find((e) => e.type === 'response.output_item.added') as { item: { id: string } })
      .item.id;
    h.send({ type: 'conversation.item.retrieve', item_id: itemId, event_id: 'r1' });
    expect(h.lastError()).toMatchObject({ code: 'item_not_found', event_id: 'r1' });
  });

  it('cancel: open part and item closed (incomplete) before response.done cancelled', async () => {
    const h = new Harness({
      llm: () => [
        { type: 'text', delta: 'Hello there. ' },
        { type: 'wait', ms: 10_000 },
        { type: 'text', delta: 'never' },
      ],
    });
    h.send(userText('hi'));
    const mark = h.events.length;
    h.send({ type: 'response.create' });
    await h.waitFor('response.output_audio.delta', mark);
    h.send({ type: 'response.cancel', event_id: 'c1' });
    const types = h.types(mark).filter((t) => !t.endsWith('.delta'));
    expect(types).toEqual([
      'response.created',
      'response.output_item.added',
      'conversation.item.added',
      'response.content_part.added',
      'response.output_audio.done',
      'response.output_audio_transcript.done',
      'response.content_part.done',
      'response.output_item.done',
      'conversation.item.done',
      'response.done',
    ]);
    const done = h.events.at(-1)!;
    expect(done.type === 'response.done' && done.response).toMatchObject({
      status: 'cancelled',
      status_details: { type: 'cancelled', reason: 'client_cancelled' },
      output: [{ status: 'incomplete' }],
    });
    // Nothing arrives after response.done, and the session takes a new response.
    const after = h.events.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(h.events.length).toBe(after);
    h.send({ type: 'response.cancel', event_id: 'c2' });
    expect(h.lastError()).toMatchObject({ code: 'response_cancel_not_active', event_id: 'c2' });
    expect(h.invalidEvents()).toEqual([]);
  });

  it('manual audio turn: committed, item added/done with input_audio transcript null', () => {
    const h = new Harness();
    h.send({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { turn_detection: null } } },
    });
    const mark = h.events.length;
    h.send({ type: 'input_audio_buffer.append', audio: pcmSilence(200) });
    h.send({ type: 'input_audio_buffer.commit' });
    expect(h.types(mark)).toEqual([
      'input_audio_buffer.committed',
      'conversation.item.added',
      'conversation.item.done',
    ]);
    const added = h.events[mark + 1]!;
    expect(added.type === 'conversation.item.added' && added.item).toMatchObject({
      role: 'user',
      status: 'completed',
      content: [{ type: 'input_audio', transcript: null }],
    });
  });

  it('beta dialect: renamed events, conversation.item.created once, beta shapes', async () => {
    const h = new Harness({ dialect: 'beta' });
    h.send({ type: 'session.update', session: { modalities: ['text'], temperature: 0.7 } });
    h.send(userText('hi'));
    h.send({ type: 'response.create' });
    await h.waitFor('response.done');
    const types = shape(h.wire.map((e) => e.type as string));
    expect(types).toEqual([
      'session.created',
      'session.updated',
      'conversation.item.created',
      'response.created',
      'response.output_item.added',
      'conversation.item.created',
      'response.content_part.added',
      'response.text.delta*',
      'response.text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.done',
    ]);
    expect(h.wire[1]).toMatchObject({
      session: { modalities: ['text'], temperature: 0.7, input_audio_format: 'pcm16' },
    });
    expect(h.wire.at(-1)).toMatchObject({
      response: {
        modalities: ['text'],
        output_audio_format: 'pcm16',
        output: [{ content: [{ type: 'text' }] }],
      },
    });
  });
});
