/**
 * The caller's language: a `+52` caller is greeted in Spanish and answered formally, and the call
 * follows the caller into English. Tools of the call agent run through the operator's webhook.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TwilioPeer } from '../../src/emulators/twilio/peer.js';
import { callerAudio, startCallGateway } from './helpers.js';
import type { CallGateway } from './helpers.js';

let g: CallGateway;
let tools: Server;
const toolCalls: unknown[] = [];

beforeAll(async () => {
  tools = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      toolCalls.push(JSON.parse(body));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"opens":"nine"}');
    });
  });
  await new Promise<void>((r) => tools.listen(0, '127.0.0.1', r));
  const agent = {
    session: {
      type: 'realtime',
      tools: [
        {
          type: 'function',
          name: 'check_hours',
          description: 'Opening hours for a day',
          parameters: { type: 'object', properties: { day: { type: 'string' } } },
        },
      ],
    },
  };
  g = await startCallGateway(
    [
      '[es] quisiera saber el horario de mañana',
      'what time do you open tomorrow',
      'call check_hours {"day":"monday"}',
    ],
    {
      TWILIO_AGENT: JSON.stringify(agent),
      TWILIO_TOOL_WEBHOOK_URL: `http://127.0.0.1:${(tools.address() as AddressInfo).port}/tools`,
    },
  );
}, 30_000);
afterAll(async () => {
  await g.close();
  await new Promise((r) => tools.close(r));
});

function llm() {
  return (
    g.gw.providers.emulators!.groq as unknown as {
      lastRequest: { instructions: string; messages: { role: string; content: string }[] } | null;
    }
  ).lastRequest!;
}
const transcripts = (peer: TwilioPeer) =>
  g
    .eventsOf(peer)
    .flatMap((s) => (s.event.type === 'response.output_audio_transcript.done' ? [s.event.transcript] : []));

describe('a call from +52', () => {
  it('is greeted and answered in Spanish, formally, then follows the caller into English; tools run on the webhook', async () => {
    const peer = await g.call('+5215512345678');
    expect(peer.parameters['language']).toBe('es');
    await peer.until(() => transcripts(peer).length === 1, 10_000, 'the greeting');
    expect(transcripts(peer)).toEqual(['¡Hola! ¿En qué puedo ayudarle hoy?']);
    expect(g.languages.at(-1)).toBe('es');

    await peer.speak(callerAudio('es-madrid'));
    await peer.until(() => transcripts(peer).length === 2, 10_000, 'the Spanish answer');
    expect(g.languages.at(-1)).toBe('es');
    expect(llm().instructions).toContain('usted');

    await peer.speak(callerAudio('en-hello'));
    await peer.until(() => transcripts(peer).length === 3, 10_000, 'the English answer');
    expect(g.languages.at(-1)).toBe('en');
    expect(llm().instructions).toContain('Answer in English');
    expect(llm().instructions).not.toContain('usted');

    await peer.speak(callerAudio('en-weather'));
    await peer.until(() => transcripts(peer).length === 4, 10_000, 'the answer with the tool result');
    expect(toolCalls).toEqual([
      {
        call_sid: peer.callSid,
        caller: '+5215512345678',
        call_id: expect.any(String),
        name: 'check_hours',
        arguments: '{"day":"monday"}',
      },
    ]);
    expect(transcripts(peer).at(-1)).toBe('The result is {"opens":"nine"}.');
    await peer.hangUp();
  }, 60_000);
});
