/** `session.update`: partial merge, clearing rules, full effective session echoed, refusals change nothing. */
import { describe, expect, it } from 'vitest';
import type { RealtimeSessionObject } from '../../protocol/realtime/index.js';
import { Harness } from '../helpers/session-harness.js';

function lastSession(h: Harness): RealtimeSessionObject {
  const e = [...h.events].reverse().find((x) => x.type === 'session.updated' || x.type === 'session.created');
  if (!e || (e.type !== 'session.updated' && e.type !== 'session.created') || e.session.type !== 'realtime')
    throw new Error('no session');
  return e.session;
}

describe('session.update', () => {
  it('starts from OpenAI-shaped defaults', () => {
    const h = new Harness();
    expect(lastSession(h)).toMatchObject({
      type: 'realtime',
      object: 'realtime.session',
      output_modalities: ['audio'],
      tools: [],
      tool_choice: 'auto',
      max_output_tokens: 'inf',
      tracing: null,
      audio: {
        input: {
          format: { type: 'audio/pcm', rate: 24000 },
          transcription: null,
          noise_reduction: null,
          turn_detection: {
            type: 'server_vad',
            threshold: 0.5,
            prefix_padding_ms: 300,
            silence_duration_ms: 200,
            create_response: true,
            interrupt_response: true,
          },
        },
        output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'alloy', speed: 1 },
      },
    });
    expect(lastSession(h).id).toMatch(/^sess_[A-Za-z0-9]{21}$/);
  });

  it('merges partially and answers with the full effective session', () => {
    const h = new Harness();
    h.send({
      type: 'session.update',
      session: { type: 'realtime', instructions: 'A', audio: { output: { voice: 'verse' } } },
    });
    h.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: 800 } } },
      },
    });
    const s = lastSession(h);
    expect(s.instructions).toBe('A');
    expect(s.audio.output.voice).toBe('verse');
    expect(s.audio.input.turn_detection).toEqual({
      type: 'server_vad',
      threshold: 0.5,
      prefix_padding_ms: 300,
      silence_duration_ms: 800,
      idle_timeout_ms: null,
      create_response: true,
      interrupt_response: true,
    });
    // Switching the type starts from that type's defaults.
    h.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        audio: { input: { turn_detection: { type: 'semantic_vad', eagerness: 'high' } } },
      },
    });
    expect(lastSession(h).audio.input.turn_detection).toEqual({
      type: 'semantic_vad',
      eagerness: 'high',
      create_response: true,
      interrupt_response: true,
    });
  });

  it('clears with "", [] and null', () => {
    const h = new Harness();
    h.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        instructions: 'x',
        tools: [{ type: 'function', name: 'f' }],
        audio: {
          input: {
            transcription: { model: 'whisper-1', language: 'es' },
            noise_reduction: { type: 'near_field' },
          },
        },
      },
    });
    expect(lastSession(h).audio.input.transcription).toEqual({ model: 'whisper-1', language: 'es' });
    h.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        instructions: '',
        tools: [],
        audio: { input: { transcription: null, noise_reduction: null, turn_detection: null } },
      },
    });
    const s = lastSession(h);
    expect(s.instructions).toBe('');
    expect(s.tools).toEqual([]);
    expect(s.audio.input).toMatchObject({ transcription: null, noise_reduction: null, turn_detection: null });
  });

  it('a refused update changes nothing and sends no session.updated', () => {
    const h = new Harness();
    h.send({ type: 'session.update', session: { type: 'realtime', instructions: 'keep' } });
    const before = lastSession(h);
    const mark = h.events.length;
    // Valid fields beside an invalid one: none of them applies.
    h.send({
      type: 'session.update',
      event_id: 'u1',
      session: {
        type: 'realtime',
        instructions: 'lost',
        tools: [{ type: 'function', name: 'f' }],
        tool_choice: { type: 'function', name: 'g' },
      },
    });
    expect(h.types(mark)).toEqual(['error']);
    h.send({ type: 'session.update', session: { type: 'realtime' } });
    expect(lastSession(h)).toEqual(before);
  });

  it('lets a session opened without a model take the first one named, then fixes it', () => {
    const h = new Harness({ model: null });
    h.send({ type: 'session.update', session: { type: 'realtime', model: 'gpt-realtime-mini' } });
    expect(lastSession(h).model).toBe('gpt-realtime-mini');
    h.send({ type: 'session.update', event_id: 'm2', session: { type: 'realtime', model: 'other' } });
    expect(h.lastError()).toMatchObject({ code: 'cannot_update_model', event_id: 'm2' });
  });

  it('accepts what agents-js sends on connect (semantic_vad, transcription, tracing)', () => {
    const h = new Harness({ start: false });
    h.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        model: 'gpt-realtime',
        instructions: 'You are helpful.',
        output_modalities: ['audio'],
        audio: {
          input: {
            format: { type: 'audio/pcm', rate: 24000 },
            noise_reduction: null,
            transcription: { model: 'gpt-4o-mini-transcribe' },
            turn_detection: { type: 'semantic_vad' },
          },
          output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'alloy', speed: 1 },
        },
        tool_choice: 'auto',
        tools: [],
      },
    });
    h.session.start();
    h.send({ type: 'session.update', session: { type: 'realtime', tracing: 'auto' } });
    expect(h.types()).toEqual(['session.created', 'session.updated', 'session.updated']);
    expect(lastSession(h)).toMatchObject({
      tracing: 'auto',
      audio: { input: { turn_detection: { type: 'semantic_vad' } } },
    });
  });

  it('a new input format clears the buffered audio (it would mix encodings)', () => {
    const h = new Harness();
    h.send({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { turn_detection: null } } },
    });
    h.send({ type: 'input_audio_buffer.append', audio: Buffer.alloc(48 * 200).toString('base64') });
    h.send({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcmu' } } } },
    });
    h.send({ type: 'input_audio_buffer.commit', event_id: 'c' });
    expect(h.lastError()).toMatchObject({ code: 'input_audio_buffer_commit_empty' });
    // 100 ms of u-law is 800 bytes.
    h.send({ type: 'input_audio_buffer.append', audio: Buffer.alloc(800, 0xff).toString('base64') });
    const mark = h.events.length;
    h.send({ type: 'input_audio_buffer.commit' });
    expect(h.types(mark)[0]).toBe('input_audio_buffer.committed');
  });
});
