/**
 * The official `openai` SDK's `OpenAIRealtimeWS`, GA and beta, against a running gateway over
 * wss://, with only `baseURL` and a test CA changed: update the session, add a user text item,
 * run a response to completion, cancel another.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { OpenAIRealtimeWS as BetaRealtimeWS } from 'openai/beta/realtime/ws';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDevCert } from '../../scripts/dev-cert.js';
import { textSteps } from '../../src/providers/fake/scripted-llm.js';
import { startGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let ca: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-sdk-'));
  const pems = await makeDevCert();
  ca = pems.cert;
  writeFileSync(join(dir, 'cert.pem'), pems.cert);
  writeFileSync(join(dir, 'key.pem'), pems.key);
  gw = await startGateway({
    env: { TLS_CERT_FILE: join(dir, 'cert.pem'), TLS_KEY_FILE: join(dir, 'key.pem') },
    // "slow" turns stall after their first word, so there is something to cancel.
    llm: (req) => {
      const last = req.messages.at(-1)?.content ?? '';
      if (last.includes('slow'))
        return [
          { type: 'text', delta: 'Thinking. ' },
          { type: 'wait', ms: 30_000 },
        ];
      return textSteps(`You said: ${last}.`, req, { firstTokenMs: 0, tokenMs: 0 });
    },
  });
});
afterAll(() => gw.close());

/** Collects events from an SDK client and awaits them by type. */
function recorder(rt: { on(event: 'event', fn: (e: { type: string }) => void): unknown }) {
  const seen: { type: string; [k: string]: unknown }[] = [];
  const waiters: {
    type: string;
    from: number;
    resolve: (e: { type: string; [k: string]: unknown }) => void;
  }[] = [];
  rt.on('event', (e) => {
    const ev = e as { type: string; [k: string]: unknown };
    seen.push(ev);
    for (const w of [...waiters]) {
      if (w.type === ev.type) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(ev);
      }
    }
  });
  return {
    seen,
    next(type: string, timeoutMs = 5_000): Promise<{ type: string; [k: string]: unknown }> {
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`timed out waiting for ${type}; saw ${seen.map((s) => s.type).join(', ')}`)),
          timeoutMs,
        );
        waiters.push({ type, from: seen.length, resolve: (e) => (clearTimeout(t), resolve(e)) });
      });
    },
  };
}

function client(): OpenAI {
  return new OpenAI({ apiKey: 'sk-test', baseURL: `https://127.0.0.1:${gw.port}/v1` });
}

describe('openai SDK, GA OpenAIRealtimeWS over wss://', () => {
  it('updates the session, runs a text turn, cancels a second response', async () => {
    const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { ca } }, client());
    const errors: unknown[] = [];
    rt.on('error', (e) => errors.push(e));
    const rec = recorder(rt);
    const created = rec.next('session.created');
    await new Promise<void>((resolve) => rt.socket.once('open', () => resolve()));
    expect((await created).session).toMatchObject({ type: 'realtime', model: 'gpt-realtime' });

    const updated = rec.next('session.updated');
    rt.send({
      type: 'session.update',
      session: { type: 'realtime', output_modalities: ['text'], instructions: 'Be brief.' },
    });
    expect((await updated).session).toMatchObject({ output_modalities: ['text'], instructions: 'Be brief.' });

    const deltas: string[] = [];
    rt.on('response.output_text.delta', (e) => deltas.push(e.delta));
    const done = rec.next('response.done');
    rt.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello gateway' }] },
    });
    rt.send({ type: 'response.create' });
    const response = (await done).response as { status: string; output: { content: { text: string }[] }[] };
    expect(response.status).toBe('completed');
    expect(deltas.join('')).toBe('You said: hello gateway.');
    expect(response.output[0]!.content[0]!.text).toBe('You said: hello gateway.');

    const second = rec.next('response.created');
    const cancelled = rec.next('response.done');
    rt.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'slow please' }] },
    });
    rt.send({ type: 'response.create' });
    await second;
    rt.send({ type: 'response.cancel' });
    expect((await cancelled).response).toMatchObject({
      status: 'cancelled',
      status_details: { reason: 'client_cancelled' },
    });
    expect(errors).toEqual([]);
    rt.close();
  });

  it('surfaces a gateway error to the SDK error listener with the client event_id', async () => {
    const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { ca } }, client());
    const err = new Promise<{ error: { code: string; event_id: string } }>((resolve) =>
      rt.on('error', (e) => resolve(e as never)),
    );
    await new Promise<void>((resolve) => rt.socket.once('open', () => resolve()));
    rt.send({ type: 'response.cancel', event_id: 'evt_cancel_1' });
    expect((await err).error).toMatchObject({ code: 'response_cancel_not_active', event_id: 'evt_cancel_1' });
    rt.close();
  });
});

describe('openai SDK, beta OpenAIRealtimeWS over wss://', () => {
  it('speaks the beta dialect: flat session, response.text.*, conversation.item.created', async () => {
    const rt = new BetaRealtimeWS({ model: 'gpt-4o-realtime-preview', options: { ca } }, client());
    const errors: unknown[] = [];
    rt.on('error', (e) => errors.push(e));
    const rec = recorder(rt);
    const created = rec.next('session.created');
    await new Promise<void>((resolve) => rt.socket.once('open', () => resolve()));
    expect((await created).session).toMatchObject({
      object: 'realtime.session',
      modalities: ['text', 'audio'],
      voice: 'alloy',
      input_audio_format: 'pcm16',
    });

    const updated = rec.next('session.updated');
    rt.send({
      type: 'session.update',
      session: { modalities: ['text'], temperature: 0.7, voice: 'verse' },
    });
    expect((await updated).session).toMatchObject({
      modalities: ['text'],
      temperature: 0.7,
      voice: 'verse',
    });

    const itemCreated = rec.next('conversation.item.created');
    const deltas: string[] = [];
    rt.on('response.text.delta', (e) => deltas.push(e.delta));
    const done = rec.next('response.done');
    rt.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hola' }] },
    });
    await itemCreated;
    rt.send({ type: 'response.create' });
    expect((await done).response).toMatchObject({
      status: 'completed',
      modalities: ['text'],
      output: [{ content: [{ type: 'text', text: 'You said: hola.' }] }],
    });
    expect(deltas.join('')).toBe('You said: hola.');

    const second = rec.next('response.created');
    const cancelled = rec.next('response.done');
    rt.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'slow one' }] },
    });
    rt.send({ type: 'response.create' });
    const id = ((await second).response as { id: string }).id;
    rt.send({ type: 'response.cancel', response_id: id });
    expect((await cancelled).response).toMatchObject({ id, status: 'cancelled' });
    expect(errors).toEqual([]);
    expect(
      rec.seen.filter(
        (e) => /^response\.output_(text|audio)/.test(e.type) || e.type === 'conversation.item.added',
      ),
    ).toEqual([]);
    rt.close();
  });
});
