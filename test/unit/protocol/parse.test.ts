/** The parser maps mistakes to OpenAI's codes and params, never throws, and keeps the event_id. */
import { describe, expect, it } from 'vitest';
import {
  createCodec,
  formatPath,
  parseBetaClientEvent,
  parseClientEvent,
} from '../../../protocol/realtime/index.js';

describe('parseClientEvent', () => {
  it('accepts a valid event and keeps client-chosen fields', () => {
    const r = parseClientEvent(
      JSON.stringify({
        type: 'conversation.item.create',
        event_id: 'e1',
        previous_item_id: 'root',
        item: { id: 'mine', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] },
      }),
    );
    expect(r).toMatchObject({ ok: true, event: { event_id: 'e1', item: { id: 'mine' } } });
  });

  it.each([
    ['{', 'invalid_json', null],
    ['"str"', 'invalid_event', null],
    ['{"type": 5, "event_id": "x"}', 'invalid_type', 'type'],
    ['{"type": "session.update", "event_id": "x"}', 'missing_required_parameter', 'session'],
    [
      '{"type": "session.update", "event_id": "x", "session": {"type": "realtime", "tools": [{"type": "function"}]}}',
      'missing_required_parameter',
      'session.tools[0].name',
    ],
    [
      '{"type": "session.update", "event_id": "x", "session": {"type": "realtime", "tools": [{"type": "function", "function": {}}]}}',
      'missing_required_parameter',
      'session.tools[0].name',
    ],
    [
      '{"type": "session.update", "event_id": "x", "session": {"type": "realtime", "audio": {"input": {"format": "pcm16"}}}}',
      'invalid_type',
      'session.audio.input.format',
    ],
    [
      '{"type": "session.update", "event_id": "x", "session": {"type": "realtime", "temperature": 0.8}}',
      'unknown_parameter',
      'session.temperature',
    ],
    [
      '{"type": "session.update", "event_id": "x", "session": {"type": "conversation"}}',
      'invalid_value',
      'session.type',
    ],
    [
      '{"type": "response.create", "event_id": "x", "response": {"modalities": ["text"]}}',
      'unknown_parameter',
      'response.modalities',
    ],
    [
      '{"type": "conversation.item.truncate", "event_id": "x", "item_id": "a", "content_index": 0, "audio_end_ms": 1.5}',
      'invalid_type',
      'audio_end_ms',
    ],
    [
      '{"type": "conversation.item.truncate", "event_id": "x", "item_id": "a", "content_index": 0, "audio_end_ms": -1}',
      'integer_below_min_value',
      'audio_end_ms',
    ],
  ])('%s -> %s at %s', (text, code, param) => {
    const r = parseClientEvent(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(code);
    expect(r.error.param).toBe(param);
    expect(r.error.event_id).toBe(text.includes('"event_id": "x"') ? 'x' : null);
  });

  it('never throws on hostile input', () => {
    const hostile = [
      '',
      'null',
      '[]',
      '{"type":"__proto__"}',
      '{"type":"constructor"}',
      '{"__proto__":{"type":"response.create"}}',
      JSON.stringify({
        type: 'session.update',
        session: {
          type: 'realtime',
          audio: { input: { turn_detection: { type: 'server_vad', threshold: '0.5' } } },
        },
      }),
      '{"type":"response.create","response":{"metadata":{"a":1}}}',
    ];
    for (const t of hostile) expect(() => parseClientEvent(t)).not.toThrow();
    expect(parseClientEvent('{"type":"__proto__"}')).toMatchObject({
      ok: false,
      error: { code: 'invalid_value', param: 'type' },
    });
  });

  it('formats params as OpenAI does', () => {
    expect(formatPath(['session', 'tools', 0, 'name'])).toBe('session.tools[0].name');
  });
});

describe('beta dialect', () => {
  it('parses beta shapes and refuses GA-only fields with beta params', () => {
    expect(
      parseBetaClientEvent(
        '{"type":"session.update","session":{"modalities":["text","audio"],"voice":"verse","input_audio_format":"g711_ulaw"}}',
      ).ok,
    ).toBe(true);
    expect(
      parseBetaClientEvent('{"type":"session.update","event_id":"b","session":{"type":"realtime"}}'),
    ).toMatchObject({
      ok: false,
      error: { code: 'unknown_parameter', param: 'session.type', event_id: 'b' },
    });
  });

  it('translates a beta session.update to a partial GA update', () => {
    const codec = createCodec('beta');
    const r = codec.decode(
      JSON.stringify({
        type: 'session.update',
        session: {
          modalities: ['text', 'audio'],
          voice: 'verse',
          input_audio_format: 'g711_ulaw',
          max_response_output_tokens: 100,
          temperature: 0.9,
        },
      }),
    );
    expect(r).toEqual({
      ok: true,
      event: {
        type: 'session.update',
        event_id: undefined,
        session: {
          type: 'realtime',
          output_modalities: ['audio'],
          audio: { input: { format: { type: 'audio/pcmu' } }, output: { voice: 'verse' } },
          max_output_tokens: 100,
        },
      },
    });
  });

  it('translates beta response params and assistant text parts', () => {
    const codec = createCodec('beta');
    const r = codec.decode(
      JSON.stringify({
        type: 'response.create',
        response: {
          modalities: ['text'],
          voice: 'ash',
          output_audio_format: 'g711_alaw',
          max_response_output_tokens: 'inf',
          input: [{ type: 'message', role: 'assistant', content: [{ type: 'text', text: 'earlier' }] }],
        },
      }),
    );
    expect(r).toMatchObject({
      ok: true,
      event: {
        response: {
          output_modalities: ['text'],
          audio: { output: { voice: 'ash', format: { type: 'audio/pcma' } } },
          max_output_tokens: 'inf',
          input: [{ content: [{ type: 'output_text', text: 'earlier' }] }],
        },
      },
    });
  });
});

describe('nesting limit', () => {
  it('refuses events nested deeper than MAX_JSON_DEPTH, keeping the event_id', () => {
    // Built as text: JSON.stringify itself overflows at this depth, which is the point.
    const deep = '{"x":'.repeat(5_000) + '1' + '}'.repeat(5_000);
    const text = `{"type":"session.update","event_id":"deep","session":{"type":"realtime","tools":[{"type":"function","name":"f","parameters":${deep}}]}}`;
    expect(parseClientEvent(text)).toMatchObject({
      ok: false,
      error: { code: 'invalid_event', event_id: 'deep' },
    });
    let shallow: unknown = { type: 'string' };
    for (let i = 0; i < 20; i++) shallow = { type: 'object', properties: { x: shallow } };
    const ok = JSON.stringify({
      type: 'session.update',
      session: { type: 'realtime', tools: [{ type: 'function', name: 'f', parameters: shallow }] },
    });
    expect(parseClientEvent(ok).ok).toBe(true);
  });
});
