/** Beta-only state and names: temperature follows accepted updates only; errors name beta fields. */
import { describe, expect, it } from 'vitest';
import { betaParam } from '../../../protocol/realtime/index.js';
import { Harness } from '../../helpers/session-harness.js';

describe('beta dialect state', () => {
  it('a refused session.update leaves temperature as it was', () => {
    const h = new Harness({ dialect: 'beta' });
    h.send({ type: 'session.update', session: { temperature: 0.7 } });
    h.send({
      type: 'session.update',
      session: { temperature: 1.1, tool_choice: { type: 'function', name: 'missing' } },
    });
    expect(h.wire.at(-1)).toMatchObject({ type: 'error', error: { code: 'invalid_tool_choice' } });
    h.send({ type: 'session.update', session: {} });
    expect(h.wire.at(-1)).toMatchObject({ type: 'session.updated', session: { temperature: 0.7 } });
  });

  it('a per-response temperature is reported on that response only', async () => {
    const h = new Harness({ dialect: 'beta' });
    h.send({ type: 'response.create', response: { modalities: ['text'], temperature: 0.6 } });
    await h.waitFor('response.done');
    expect(h.wire.at(-1)).toMatchObject({ type: 'response.done', response: { temperature: 0.6 } });
    const mark = h.events.length;
    h.send({ type: 'response.create', response: { modalities: ['text'] } });
    await h.waitFor('response.done', mark);
    expect(h.wire.at(-1)).toMatchObject({ type: 'response.done', response: { temperature: 0.8 } });
  });

  it('session-level errors name the beta field the client sent', async () => {
    const h = new Harness({ dialect: 'beta' });
    h.send({ type: 'response.create' });
    await h.waitFor('response.done');
    h.send({ type: 'session.update', event_id: 'v', session: { voice: 'verse' } });
    expect(h.wire.at(-1)).toMatchObject({
      type: 'error',
      error: { code: 'cannot_update_voice', param: 'session.voice', event_id: 'v' },
    });
    expect(betaParam('session.audio.input.turn_detection.threshold')).toBe(
      'session.turn_detection.threshold',
    );
    expect(betaParam('session.tools[0].name')).toBe('session.tools[0].name');
  });

  it('parse errors keep the field the beta client sent, even where it is a GA field name', () => {
    const h = new Harness({ dialect: 'beta' });
    h.send({ type: 'session.update', event_id: 'g', session: { output_modalities: ['text'] } });
    expect(h.wire.at(-1)).toMatchObject({
      type: 'error',
      error: { code: 'unknown_parameter', param: 'session.output_modalities', event_id: 'g' },
    });
    h.send({ type: 'session.update', event_id: 'm', session: { max_output_tokens: 10 } });
    expect(h.wire.at(-1)).toMatchObject({
      error: { code: 'unknown_parameter', param: 'session.max_output_tokens', event_id: 'm' },
    });
    // A session-level error after a parse error is still renamed.
    h.send({
      type: 'session.update',
      event_id: 't',
      session: { tool_choice: { type: 'function', name: 'x' } },
    });
    expect(h.wire.at(-1)).toMatchObject({ error: { code: 'invalid_tool_choice', event_id: 't' } });
  });
});
