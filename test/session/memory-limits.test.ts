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
