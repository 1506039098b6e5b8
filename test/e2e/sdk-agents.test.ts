/**
 * `@openai/agents-realtime`'s RealtimeSession over its WebSocket transport, with `url` pointed at
 * the gateway: connect, complete turns (text and audio output), and a tool call round trip.
 */
import { RealtimeAgent, RealtimeSession, tool } from '@openai/agents-realtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw.close());

function endOfTurn(session: RealtimeSession): Promise<string> {
  return new Promise((resolve) => session.once('agent_end', (_ctx, _agent, text) => resolve(text)));
}

async function connect(
  agent: RealtimeAgent,
  outputModalities?: ('text' | 'audio')[],
): Promise<{ session: RealtimeSession; errors: unknown[] }> {
  const session = new RealtimeSession(agent, {
    transport: 'websocket',
    model: 'gpt-realtime',
    config: outputModalities ? { outputModalities } : {},
  });
  const errors: unknown[] = [];
  session.on('error', (e) => errors.push(e));
  await session.connect({ apiKey: 'sk-test', url: `${gw.url}?model=gpt-realtime` });
  return { session, errors };
}

describe('@openai/agents-realtime RealtimeSession', () => {
  it('completes a text turn', async () => {
    const { session, errors } = await connect(
      new RealtimeAgent({ name: 'echo', instructions: 'Be brief.' }),
      ['text'],
    );
    const end = endOfTurn(session);
    session.sendMessage('hello agents');
    expect(await end).toBe('You said: hello agents.');
    const assistant = session.history.find((i) => i.type === 'message' && i.role === 'assistant');
    expect(assistant).toMatchObject({
      status: 'completed',
      content: [{ type: 'output_text', text: 'You said: hello agents.' }],
    });
    expect(errors).toEqual([]);
    session.close();
  });

  it('completes an audio turn: audio events arrive and the transcript ends the turn', async () => {
    const { session, errors } = await connect(new RealtimeAgent({ name: 'voice', instructions: 'Speak.' }));
    let audioBytes = 0;
    session.on('audio', (e) => (audioBytes += e.data.byteLength));
    const end = endOfTurn(session);
    session.sendMessage('say something');
    expect(await end).toBe('You said: say something.');
    // The stand-in TTS speaks 200 ms per word at 24 kHz PCM16 (48 bytes per ms).
    expect(audioBytes).toBe(4 * 200 * 48);
    expect(errors).toEqual([]);
    session.close();
  });

  it('runs a function call round trip', async () => {
    const calls: unknown[] = [];
    const lookup = tool({
      name: 'lookup_weather',
      description: 'Weather for a city',
      parameters: z.object({ city: z.string() }),
      execute: async ({ city }) => {
        calls.push(city);
        return `sunny in ${city}`;
      },
    });
    const { session, errors } = await connect(
      new RealtimeAgent({ name: 'tools', instructions: 'Use tools.', tools: [lookup] }),
      ['text'],
    );
    const ends: string[] = [];
    const second = new Promise<void>((resolve) =>
      session.on('agent_end', (_c, _a, text) => {
        ends.push(text);
        if (ends.length === 2) resolve();
      }),
    );
    session.sendMessage('please call lookup_weather {"city":"Lima"}');
    await second;
    expect(calls).toEqual(['Lima']);
    expect(ends[1]).toBe('The result is sunny in Lima.');
    expect(errors).toEqual([]);
    session.close();
  });
});
