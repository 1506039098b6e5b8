/**
 * A response always ends with response.done and leaves nothing running: provider errors that look
 * like aborts, cancels while the LLM keeps talking, an LLM far ahead of its TTS, a conversation
 * that fills mid-response, truncation of an item still being produced.
 */
import { describe, expect, it } from 'vitest';
import type { LlmStage, TtsChunk, TtsStage } from '../../src/providers/types.js';
import { Harness, userText } from '../helpers/session-harness.js';

describe('response robustness', () => {
  it("a provider's own AbortError fails the response instead of leaving it open", async () => {
    const h = new Harness();
    const llm = h.llm as unknown as LlmStage;
    llm.generate = async function* () {
      yield { type: 'text', delta: 'partial ' };
      throw new DOMException('upstream timeout', 'AbortError');
    };
    h.send({ type: 'response.create', response: { output_modalities: ['text'] } });
    const done = await h.waitFor('response.done');
    expect(done).toMatchObject({
      response: { status: 'failed', status_details: { error: { code: 'provider_error' } } },
    });
    const mark = h.events.length;
    h.send({ type: 'response.create', response: { output_modalities: ['text'] } });
    await h.waitFor('response.done', mark);
  });

  it('a cancel ends the TTS stream even if the LLM goes on after the abort', async () => {
    const h = new Harness();
    let ttsEnded = false;
    const tts = h.tts as unknown as TtsStage;
    const original = tts.synthesize.bind(tts);
    tts.synthesize = async function* (text, opts, signal): AsyncIterable<TtsChunk> {
      try {
        yield* original(text, opts, signal);
      } finally {
        ttsEnded = true;
      }
    };
    const llm = h.llm as unknown as LlmStage;
    llm.generate = async function* () {
      yield { type: 'text', delta: 'First sentence. ' };
      await new Promise((r) => setTimeout(r, 30));
      // A network stream may still deliver a token after the abort.
      yield { type: 'text', delta: 'Late token. ' };
      await new Promise((r) => setTimeout(r, 10_000));
    };
    h.send({ type: 'response.create' });
    await h.waitFor('response.output_audio.delta');
    h.send({ type: 'response.cancel' });
    await new Promise((r) => setTimeout(r, 80));
    expect(ttsEnded).toBe(true);
  });

  it('an LLM far ahead of a slow TTS is paced, not failed', async () => {
    const list = Array.from({ length: 300 }, (_, i) => `${i + 1}. item.`).join(' ');
    const h = new Harness({
      llm: () => [{ type: 'text', delta: list }],
      tts: { firstAudioMs: 1, msPerWord: 1, chunkMs: 1000 },
    });
    h.send({ type: 'response.create' });
    const done = await h.waitFor('response.done', 0, 15_000);
    expect(done).toMatchObject({ response: { status: 'completed' } });
    expect(h.tts.pieces.length).toBeGreaterThan(50);
  });

  it('items of a running response are announced even when the conversation filled meanwhile', async () => {
    const h = new Harness({
      dialect: 'beta',
      limits: { maxConversationItems: 2 },
      llm: () => [
        { type: 'wait', ms: 30 },
        { type: 'text', delta: 'late reply' },
      ],
    });
    h.send({ type: 'response.create', response: { modalities: ['text'] } });
    h.send(userText('fills the last slot'));
    h.send(userText('refused: full'));
    await h.waitFor('response.done');
    const wire = h.wire.map((e) => e.type);
    const itemId = (h.wire.find((e) => e.type === 'response.output_item.added') as { item: { id: string } })
      .item.id;
    const created = h.wire
      .filter((e) => e.type === 'conversation.item.created')
      .map((e) => (e as { item: { id: string } }).item.id);
    expect(created).toContain(itemId);
    expect(
      wire.indexOf('conversation.item.created', wire.indexOf('response.output_item.added')),
    ).toBeLessThan(wire.indexOf('response.content_part.added'));
  });

  it('truncating an item that is still being produced ends its response first, then cuts it', async () => {
    const h = new Harness({
      llm: () => [
        { type: 'text', delta: 'One two three. ' },
        { type: 'wait', ms: 10_000 },
      ],
    });
    h.send({ type: 'response.create' });
    const delta = await h.waitFor('response.output_audio.delta');
    const itemId = (delta as { item_id: string }).item_id;
    h.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 80 });
    const types = h.types();
    expect(types.slice(-2)).toEqual(['response.done', 'conversation.item.truncated']);
    expect(h.events.at(-2)).toMatchObject({
      response: { status: 'cancelled', status_details: { reason: 'client_cancelled' } },
    });
  });
});
