/** What one session can hold: retained audio, concurrent responses, and a response's context. */
import { describe, expect, it } from 'vitest';
import { Harness, pcmSilence, userText } from '../helpers/session-harness.js';

describe('session memory and concurrency limits', () => {
  it('keeps conversation audio within MAX_RETAINED_AUDIO_BYTES by dropping the oldest audio, not the items', () => {
    // 300 ms of 24 kHz PCM16 is 14,400 bytes; the budget holds two such items.
    const h = new Harness({ limits: { maxRetainedAudioBytes: 30_000 } });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      h.send({
        type: 'conversation.item.create',
        item: {
          id: `a${i}`,
          type: 'message',
          role: 'user',
          content: [{ type: 'input_audio', audio: pcmSilence(300), transcript: `t${i}` }],
        },
      });
      ids.push(`a${i}`);
    }
    const retrieved = ids.map((id) => {
      h.send({ type: 'conversation.item.retrieve', item_id: id });
      return (h.events.at(-1) as { item: { content: { audio?: string; transcript: string }[] } }).item
        .content[0]!;
    });
    expect(retrieved.map((p) => p.audio !== undefined)).toEqual([false, false, true, true]);
    expect(retrieved.map((p) => p.transcript)).toEqual(['t0', 't1', 't2', 't3']);
  });

  it("a response's context is the conversation when it was created", async () => {
    const h = new Harness({ stt: ['spoken words'], sttDelayMs: 40 });
    h.send({
      type: 'session.update',
      session: { type: 'realtime', output_modalities: ['text'], audio: { input: { turn_detection: null } } },
    });
    h.send({ type: 'input_audio_buffer.append', audio: pcmSilence(200) });
    h.send({ type: 'input_audio_buffer.commit' });
    h.send({ type: 'response.create' });
    h.send(userText('sent after response.create'));
    await h.waitFor('response.done');
    expect(h.llm.requests[0]!.messages).toEqual([{ role: 'user', content: 'spoken words' }]);
  });

  it('audio given inline to response.create input is transcribed for the LLM, without events', async () => {
    const h = new Harness({ stt: ['what is the weather'] });
    h.send({
      type: 'response.create',
      response: {
        conversation: 'none',
        output_modalities: ['text'],
        input: [
          { type: 'message', role: 'user', content: [{ type: 'input_audio', audio: pcmSilence(200) }] },
        ],
      },
    });
    await h.waitFor('response.done');
    expect(h.llm.requests[0]!.messages).toEqual([{ role: 'user', content: 'what is the weather' }]);
    expect(h.types().some((t) => t.includes('input_audio_transcription'))).toBe(false);
  });
});

describe('session truncation over a long conversation', () => {
  /** 60 user items of about 100 tokens each by the gateway's estimate: 6,000 in all. */
  function longConversation(h: Harness): void {
    for (let i = 0; i < 60; i++) h.send(userText(`${i} ${'word '.repeat(58)}`));
  }
  const lastRequest = (h: Harness) => h.llm.requests.at(-1)!;
  /** A text session on an 8,192-token context that cuts down to half of it. */
  function retentionHarness(): Harness {
    const h = new Harness({ limits: { llmContextTokens: 8_192 } });
    const truncation = { type: 'retention_ratio', retention_ratio: 0.5 };
    h.send({
      type: 'session.update',
      session: { type: 'realtime', output_modalities: ['text'], truncation },
    });
    return h;
  }

  it('auto: the LLM gets the newest items that fit LLM_CONTEXT_TOKENS; the conversation keeps all', async () => {
    // 8,192 less the answer's 4,096 and the instructions: about 4,000 tokens for the conversation.
    const h = new Harness({ limits: { llmContextTokens: 8_192 } });
    h.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
    longConversation(h);
    h.send({ type: 'response.create' });
    const done = await h.waitFor('response.done');
    expect((done as { response: { status: string } }).response.status).toBe('completed');
    const messages = lastRequest(h).messages;
    expect(messages.length).toBeGreaterThan(20);
    expect(messages.length).toBeLessThan(60);
    expect(messages.at(-1)!.content.startsWith('59 ')).toBe(true);
    const added = h.events.filter((e) => e.type === 'conversation.item.added');
    const oldest = (added[0] as { item: { id: string } }).item.id;
    h.send({ type: 'conversation.item.retrieve', item_id: oldest });
    expect(h.events.at(-1)!.type).toBe('conversation.item.retrieved');
  });

  it('words spoken as they are (a phone greeting) reach no LLM: no truncation setting fails them, and nothing is cut', async () => {
    for (const truncation of ['disabled', 'auto']) {
      let cuts = 0;
      const h = new Harness({ limits: { llmContextTokens: 8_192 }, onContextCut: () => cuts++ });
      h.send({ type: 'session.update', session: { type: 'realtime', truncation } });
      longConversation(h);
      expect(h.session.say('One moment, please.')).toBe(true);
      const done = await h.waitFor('response.done');
      expect(done.type === 'response.done' && done.response, truncation).toMatchObject({
        status: 'completed',
        output: [{ content: [{ type: 'output_audio', transcript: 'One moment, please.' }] }],
      });
      expect(cuts, truncation).toBe(0);
    }
  });

  it('words spoken as they are log no LLM request, even with LOG_CONTENT', async () => {
    const h = new Harness({ logContent: true });
    h.send(userText('hello'));
    h.session.say('One moment, please.');
    await h.waitFor('response.done');
    h.send({ type: 'response.create' });
    await h.waitFor('response.done', h.events.findLastIndex((e) => e.type === 'response.done') + 1);
    // The LLM's response logs its request; the greeting, which no LLM reads, does not.
    expect(h.logs.filter((l) => l.msg === 'llm request')).toHaveLength(1);
  });

  it('retention_ratio: words spoken as they are leave the conversation’s start where it was', async () => {
    // Twins with the same items: one speaks the greeting, the other is given it as an item.
    const spoken = retentionHarness();
    longConversation(spoken);
    spoken.session.say('One moment, please.');
    await spoken.waitFor('response.done');
    const given = retentionHarness();
    longConversation(given);
    given.send({
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'One moment, please.' }],
      },
    });
    for (const h of [spoken, given]) {
      h.send({ type: 'response.create' });
      await h.waitFor('response.done', h.events.findLastIndex((e) => e.type === 'response.done') + 1);
    }
    expect(lastRequest(spoken).messages).toEqual(lastRequest(given).messages);
  });

  it('retention_ratio: an out-of-band response starts where the conversation does, and does not move it', async () => {
    const h = retentionHarness();
    longConversation(h);
    const respond = async (response?: object) => {
      const mark = h.events.length;
      h.send({ type: 'response.create', ...(response ? { response } : {}) });
      await h.waitFor('response.done', mark);
      return lastRequest(h).messages;
    };
    const first = await respond();
    // Over the conversation, with nothing more to cut: the same start.
    expect((await respond({ conversation: 'none' }))[0]).toEqual(first[0]);
    // Long instructions leave it less room: it cuts further, on its own copy of the start.
    const cut = await respond({ conversation: 'none', instructions: 'x'.repeat(6_000) });
    expect(cut.length).toBeLessThan(first.length);
    // The next request starts where the first did: the first answer joined it, no out-of-band one did.
    const next = await respond();
    expect(next[0]).toEqual(first[0]);
    expect(next).toHaveLength(first.length + 1);
  });

  it('counts a cut only for a request that goes out: not for a response cancelled while it waited', async () => {
    let cuts = 0;
    const h = new Harness({
      limits: { llmContextTokens: 8_192 },
      stt: ['spoken words', 'more words'],
      sttDelayMs: 200,
      onContextCut: () => cuts++,
    });
    h.send({
      type: 'session.update',
      session: { type: 'realtime', output_modalities: ['text'], audio: { input: { turn_detection: null } } },
    });
    longConversation(h);
    // The response waits for the transcript of the committed audio; it is cancelled meanwhile.
    h.send({ type: 'input_audio_buffer.append', audio: pcmSilence(200) });
    h.send({ type: 'input_audio_buffer.commit' });
    h.send({ type: 'response.create' });
    h.send({ type: 'response.cancel' });
    await h.waitFor('response.done');
    await new Promise((r) => setTimeout(r, 300));
    expect(cuts).toBe(0);
    expect(h.llm.requests).toHaveLength(0);
    const mark = h.events.length;
    h.send({ type: 'response.create' });
    await h.waitFor('response.done', mark);
    expect(cuts).toBe(1);
  });

  it('a response with input of its own is cut on its own', async () => {
    const h = new Harness({ limits: { llmContextTokens: 8_192 } });
    h.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
    const input = Array.from({ length: 60 }, (_, i) => ({
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text: `${i} ${'word '.repeat(58)}` }],
    }));
    h.send({ type: 'response.create', response: { conversation: 'none', input } });
    await h.waitFor('response.done');
    const messages = lastRequest(h).messages;
    expect(messages.length).toBeLessThan(60);
    expect(messages.at(-1)!.content.startsWith('59 ')).toBe(true);
  });

  it('retention_ratio: the next turn starts its request where the last cut left it', async () => {
    const h = retentionHarness();
    longConversation(h);
    h.send({ type: 'response.create' });
    await h.waitFor('response.done');
    const first = lastRequest(h).messages;
    h.send(userText('one more'));
    h.send({ type: 'response.create' });
    await h.waitFor('response.done', h.events.length);
    const second = lastRequest(h).messages;
    expect(first.length).toBeLessThan(25);
    expect(second[0]).toEqual(first[0]);
    expect(second.length).toBe(first.length + 2);
  });
});
