/** Conversation management: placement, client ids, retrieve, delete, truncate, transcription. */
import { describe, expect, it } from 'vitest';
import type { Item } from '../../protocol/realtime/index.js';
import { Harness, pcmSilence, userText } from '../helpers/session-harness.js';

function addedItems(h: Harness, from = 0): { previous_item_id: string | null; item: Item }[] {
  return h.events
    .slice(from)
    .flatMap((e) =>
      e.type === 'conversation.item.added' ? [{ previous_item_id: e.previous_item_id, item: e.item }] : [],
    );
}

describe('conversation items', () => {
  it('keeps client ids and places items after previous_item_id, or first with "root"', () => {
    const h = new Harness();
    const create = (id: string, previous?: string) => ({
      type: 'conversation.item.create',
      ...(previous ? { previous_item_id: previous } : {}),
      item: { id, type: 'message', role: 'user', content: [{ type: 'input_text', text: id }] },
    });
    h.send(create('a'));
    h.send(create('c'));
    h.send(create('b', 'a'));
    h.send(create('z', 'root'));
    expect(addedItems(h).map((x) => [x.item.id, x.previous_item_id])).toEqual([
      ['a', null],
      ['c', 'a'],
      ['b', 'a'],
      ['z', null],
    ]);
    h.send({ type: 'response.create', response: { output_modalities: ['text'] } });
    expect(h.llm.requests).toHaveLength(0); // the request waits for nothing here, but is async
  });

  it('gives the LLM the conversation in order, and the assistant item follows the last item', async () => {
    const h = new Harness();
    h.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'sys' }] },
    });
    h.send(userText('second'));
    h.send({
      type: 'conversation.item.create',
      previous_item_id: 'root',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'first' }] },
    });
    const mark = h.events.length;
    h.send({ type: 'response.create', response: { output_modalities: ['text'], instructions: 'override' } });
    await h.waitFor('response.done', mark);
    const req = h.llm.requests[0]!;
    expect(req.instructions).toBe('override');
    expect(req.messages.map((m) => m.content)).toEqual(['first', 'sys', 'second']);
    const added = addedItems(h, mark)[0]!;
    expect(added.previous_item_id).toBe(
      addedItems(h).find(
        (x) =>
          x.item.type === 'message' &&
          x.item.content[0]?.type === 'input_text' &&
          x.item.content[0].text === 'second',
      )!.item.id,
    );
  });

  it('retrieve returns the full item with its audio; delete removes it', async () => {
    const h = new Harness();
    h.send({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { turn_detection: null } } },
    });
    const audio = Buffer.alloc(48 * 150, 7).toString('base64');
    h.send({ type: 'input_audio_buffer.append', audio });
    h.send({ type: 'input_audio_buffer.commit' });
    const committed = h.events.find((e) => e.type === 'input_audio_buffer.committed') as { item_id: string };
    h.send({ type: 'conversation.item.retrieve', item_id: committed.item_id });
    const retrieved = h.events.at(-1)!;
    expect(retrieved).toMatchObject({
      type: 'conversation.item.retrieved',
      item: { id: committed.item_id, content: [{ type: 'input_audio', audio }] },
    });
    h.send({ type: 'conversation.item.delete', item_id: committed.item_id });
    expect(h.events.at(-1)).toMatchObject({ type: 'conversation.item.deleted', item_id: committed.item_id });
    h.send({ type: 'conversation.item.retrieve', item_id: committed.item_id, event_id: 'gone' });
    expect(h.lastError()).toMatchObject({ code: 'item_not_found', event_id: 'gone' });
  });

  it('input transcription: delta and completed when asked, and the LLM sees the transcript', async () => {
    const h = new Harness({ stt: ['what is the weather'] });
    h.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        output_modalities: ['text'],
        audio: { input: { turn_detection: null, transcription: { model: 'nova-3' } } },
      },
    });
    h.send({ type: 'input_audio_buffer.append', audio: pcmSilence(300) });
    h.send({ type: 'input_audio_buffer.commit' });
    h.send({ type: 'response.create' });
    const completed = await h.waitFor('conversation.item.input_audio_transcription.completed');
    expect(completed).toMatchObject({
      content_index: 0,
      transcript: 'what is the weather',
      usage: { type: 'duration', seconds: 0.3 },
    });
    await h.waitFor('response.done');
    expect(h.llm.requests[0]!.messages.at(-1)).toEqual({ role: 'user', content: 'what is the weather' });
    const itemId = (completed as { item_id: string }).item_id;
    h.send({ type: 'conversation.item.retrieve', item_id: itemId });
    expect(h.events.at(-1)).toMatchObject({
      item: { content: [{ type: 'input_audio', transcript: 'what is the weather' }] },
    });
    expect(h.invalidEvents()).toEqual([]);
  });

  it('without transcription asked, no transcription events, but the LLM still hears the user', async () => {
    const h = new Harness({ stt: ['hello from audio'], sttDelayMs: 30 });
    h.send({
      type: 'session.update',
      session: { type: 'realtime', output_modalities: ['text'], audio: { input: { turn_detection: null } } },
    });
    h.send({ type: 'input_audio_buffer.append', audio: pcmSilence(300) });
    h.send({ type: 'input_audio_buffer.commit' });
    h.send({ type: 'response.create' });
    await h.waitFor('response.done');
    expect(h.types().some((t) => t.startsWith('conversation.item.input_audio_transcription'))).toBe(false);
    expect(h.llm.requests[0]!.messages.at(-1)).toEqual({ role: 'user', content: 'hello from audio' });
  });

  it('words spoken as they are (say) do not wait out a late transcript into a failure', async () => {
    const h = new Harness({ stt: ['hello from audio'], sttDelayMs: 2_000, limits: { transcriptWaitMs: 50 } });
    h.send({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { turn_detection: null } } },
    });
    h.send({ type: 'input_audio_buffer.append', audio: pcmSilence(300) });
    h.send({ type: 'input_audio_buffer.commit' });
    expect(h.session.say('One moment, please.')).toBe(true);
    const done = await h.waitFor('response.done');
    expect(done.type === 'response.done' && done.response.status).toBe('completed');
    // An answer from the LLM still needs the transcript, and fails without it in time.
    h.send({ type: 'response.create' });
    const next = await h.waitFor('response.done', h.events.indexOf(done) + 1);
    expect(next.type === 'response.done' && next.response.status).toBe('failed');
  });

  it('truncate cuts the audio and keeps only the words heard, for the next turn', async () => {
    // The fake TTS speaks 200 ms per word.
    const h = new Harness({
      llm: (req) =>
        req.messages.length > 1
          ? [{ type: 'text', delta: 'ok' }]
          : [{ type: 'text', delta: 'one two three four five.' }],
    });
    h.send(userText('count'));
    h.send({ type: 'response.create' });
    const done = await h.waitFor('response.done');
    const itemId = (done as { response: { output: { id: string }[] } }).response.output[0]!.id;
    h.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 450 });
    expect(h.events.at(-1)).toEqual({
      type: 'conversation.item.truncated',
      event_id: expect.any(String),
      item_id: itemId,
      content_index: 0,
      audio_end_ms: 450,
    });
    h.send({ type: 'conversation.item.retrieve', item_id: itemId });
    const item = (h.events.at(-1) as { item: { content: { transcript: string; audio: string }[] } }).item;
    expect(item.content[0]!.transcript).toBe('one two three');
    expect(Buffer.from(item.content[0]!.audio, 'base64').byteLength).toBe(450 * 48);
    const mark = h.events.length;
    h.send(userText('again'));
    h.send({ type: 'response.create' });
    await h.waitFor('response.done', mark);
    expect(h.llm.requests[1]!.messages).toEqual([
      { role: 'user', content: 'count' },
      { role: 'assistant', content: 'one two three' },
      { role: 'user', content: 'again' },
    ]);
  });

  it('item_reference brings a conversation item into an out-of-band response', async () => {
    const h = new Harness();
    h.send({
      type: 'conversation.item.create',
      item: {
        id: 'keep',
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: 'referenced' }],
      },
    });
    h.send(userText('not included'));
    h.send({
      type: 'response.create',
      response: {
        conversation: 'none',
        output_modalities: ['text'],
        input: [{ type: 'item_reference', id: 'keep' }],
      },
    });
    await h.waitFor('response.done');
    expect(h.llm.requests[0]!.messages).toEqual([{ role: 'user', content: 'referenced' }]);
  });

  it('an out-of-band response may run beside a default one', async () => {
    const h = new Harness({
      llm: (req) =>
        req.instructions === 'slow'
          ? [
              { type: 'wait', ms: 200 },
              { type: 'text', delta: 'slow' },
            ]
          : [{ type: 'text', delta: 'fast' }],
    });
    h.send({ type: 'response.create', response: { instructions: 'slow', output_modalities: ['text'] } });
    h.send({ type: 'response.create', response: { conversation: 'none', output_modalities: ['text'] } });
    const done = await h.waitFor('response.done');
    expect(done).toMatchObject({ response: { conversation_id: null, status: 'completed' } });
    expect(h.types().filter((t) => t === 'error')).toEqual([]);
  });
});
