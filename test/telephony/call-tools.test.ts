/**
 * A call's tools and settings on a session with scripted stages: tool results stay next to their
 * calls when the caller speaks or presses keys meanwhile; an agent naming a model still runs in μ-law.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../protocol/realtime/index.js';
import { ScriptedLlm, echoScript } from '../../src/providers/fake/scripted-llm.js';
import { ScriptedStt } from '../../src/providers/fake/scripted-stt.js';
import { ToneTts } from '../../src/providers/fake/tone-tts.js';
import { DEFAULT_SESSION_LIMITS } from '../../src/session/limits.js';
import { RealtimeSession } from '../../src/session/realtime-session.js';
import { DEFAULT_CALL_AGENT } from '../../src/telephony/call-agent.js';
import type { CallAgent } from '../../src/telephony/call-agent.js';
import { TwilioCall } from '../../src/telephony/twilio-call.js';
import { newId } from '../../src/util/ids.js';
import { SILENT_LOGGER } from '../../src/util/log.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A tool webhook that answers after `delayMs`. */
async function slowWebhook(delayMs: number): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    setTimeout(() => res.end('{"open":"9am"}'), delayMs);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/tool`;
}

const HOURS_TOOL = {
  type: 'function',
  name: 'hours',
  description: 'opening hours',
  parameters: { type: 'object' },
} as const;

function makeCall(
  toolWebhookUrl: string | null,
  session: CallAgent['session'] = { type: 'realtime', tools: [HOURS_TOOL] },
) {
  const llm = new ScriptedLlm(echoScript());
  const events: ServerEvent[] = [];
  const call = new TwilioCall({
    agent: { ...DEFAULT_CALL_AGENT, greetings: {}, session, toolWebhookUrl },
    callSid: 'CA1',
    caller: '+15551234567',
    language: 'en',
    log: SILENT_LOGGER,
    openSession: (transport, languagePolicy) =>
      new RealtimeSession({
        transport,
        dialect: 'ga',
        kind: 'realtime',
        stages: { llm, tts: new ToneTts({ msPerWord: 200, chunkMs: 100 }), stt: new ScriptedStt([], 0) },
        limits: DEFAULT_SESSION_LIMITS,
        defaults: {
          id: newId('sess'),
          model: session.model ?? 'gpt-realtime',
          expiresAt: 0,
          instructions: 'Be brief.',
          voice: 'alloy',
          turnDetection: 'server_vad',
        },
        modelOpen: false,
        resolveVoice: (v) => v,
        log: () => {},
        observer: (e) => events.push(e),
        languagePolicy,
      }),
  });
  call.start();
  const closes: number[] = [];
  call.attach({ send: () => {}, close: (code) => closes.push(code), bufferedAmount: 0 }, 'MZ1');
  return { call, llm, events, closes };
}

async function until(pred: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const dtmf = (digit: string) =>
  ({ event: 'dtmf', streamSid: 'MZ1', dtmf: { track: 'inbound_track', digit } }) as const;
const shape = (llm: ScriptedLlm, i: number) =>
  llm.requests[i]!.messages.map(
    (m) => m.role + (m.role === 'assistant' && m.toolCalls ? '(tool_calls)' : ''),
  );

describe('a tool running while the caller presses keys', () => {
  it('holds the answer to the keys until the tool result is in, right after its call', async () => {
    const { call, llm, events } = makeCall(await slowWebhook(500));
    call.session.receiveEvent({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'call hours {}' }] },
    });
    call.session.receiveEvent({ type: 'response.create' });
    await until(() => events.some((e) => e.type === 'response.done'), 'the tool call response');
    call.receive(dtmf('1'));
    call.receive(dtmf('#'));
    await until(() => llm.requests.length >= 2, 'the response after the tool');
    await new Promise((r) => setTimeout(r, 100));
    // One response, after the result: no request ever saw the call without its result.
    expect(llm.requests).toHaveLength(2);
    expect(shape(llm, 1)).toEqual(['user', 'assistant(tool_calls)', 'tool', 'user']);
    // In the conversation, too, the result sits right after its call.
    const added = events.flatMap((e) => (e.type === 'conversation.item.added' ? [e] : []));
    const output = added.find((e) => e.item.type === 'function_call_output')!;
    const callItem = added.find((e) => e.item.type === 'function_call')!;
    expect(output.previous_item_id).toBe(callItem.item.id);
    call.end('test');
  });
});

describe('a call agent naming a model', () => {
  it('runs the call in μ-law with that model', async () => {
    const { call, events } = makeCall(null, {
      type: 'realtime',
      model: 'gpt-realtime-mini',
      instructions: 'Acme.',
    });
    await until(() => events.some((e) => e.type === 'session.updated' || e.type === 'error'), 'the update');
    expect(events.some((e) => e.type === 'error')).toBe(false);
    expect(call.session.config.audio.input.format.type).toBe('audio/pcmu');
    expect(call.session.config.type === 'realtime' && call.session.config.model).toBe('gpt-realtime-mini');
    call.end('test');
  });
});

describe('an agent whose settings a session refuses', () => {
  it('ends the call instead of running it in the wrong format', async () => {
    const { call, events, closes } = makeCall(null, {
      type: 'realtime',
      tool_choice: { type: 'function', name: 'nope' },
    });
    await until(() => events.some((e) => e.type === 'error'), 'the refusal');
    // The call ended before the stream came: the stream is closed at once, and no greeting was made.
    expect(closes).toEqual([1000]);
    expect(events.some((e) => e.type === 'response.created')).toBe(false);
    expect(call.session.config.audio.input.format.type).toBe('audio/pcm');
  });
});
