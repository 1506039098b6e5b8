/** Text turns, out-of-band responses, cancel and the function-call round trip (protocol 4.2 to 4.4). */
import { responseCreate, userText } from '../dialect.js';
import { check } from '../runner.js';
import type { Scenario } from '../runner.js';
import { awaitResponse, checkAudioFitsTranscript, firstPart, joined, shape } from './steps.js';

type E = Record<string, unknown>;

/** A request that makes a long answer from any model, and from an echoing emulator. */
export const LONG_REQUEST =
  'Please count slowly from one to forty in words, one number per sentence: one. two. three. four. five. ' +
  'six. seven. eight. nine. ten. eleven. twelve. thirteen. fourteen. fifteen. sixteen. seventeen. eighteen.';

const WEATHER_TOOL = {
  type: 'function',
  name: 'get_weather',
  description: 'The current weather in a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

export const RESPONSE_SCENARIOS: Scenario[] = [
  {
    name: 'text.turn',
    description: 'A user text item, then response.create with text output: the full event skeleton.',
    scope: 'any',
    run: async (ctx) => {
      const d = ctx.dialect;
      const c = await ctx.session({ output: 'text', turnDetection: null });
      c.send({
        type: 'conversation.item.create',
        item: userText('Hello, please answer with a short greeting.'),
      });
      const added = await c.next('conversation.item.added');
      const item = added.item as E;
      check(
        item.role === 'user' && firstPart(item).type === 'input_text',
        'the user item is not echoed as created',
      );
      if (d === 'ga') await c.next('conversation.item.done', (e) => (e.item as E).id === item.id);
      c.send(responseCreate(d));
      const r = await awaitResponse(c);
      check(r.created.status === 'in_progress', `response.created status ${String(r.created.status)}`);
      check(
        Array.isArray(r.created.output) && (r.created.output as E[]).length === 0,
        'response.created output is not []',
      );
      const expected = [
        'response.created',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.done',
      ];
      check(shape(r.events).join() === expected.join(), `response events [${shape(r.events).join(', ')}]`);
      check(r.done.status === 'completed', `response ended ${String(r.done.status)}`);
      const out = (r.done.output as E[])[0]!;
      const part = firstPart(out);
      check(
        out.role === 'assistant' && out.status === 'completed',
        'the output item is not a completed assistant message',
      );
      check(part.type === (d === 'ga' ? 'output_text' : 'text'), `content type ${String(part.type)}`);
      check(
        part.text === joined(r.events, 'response.output_text.delta') && String(part.text).length > 0,
        'item text != deltas',
      );
      check(r.done.usage !== null && typeof r.done.usage === 'object', 'response.done has no usage');
    },
  },
  {
    name: 'text.turn-audio',
    description: 'A text turn answered in audio: audio and transcript deltas inside one audio part.',
    scope: 'any',
    run: async (ctx) => {
      const d = ctx.dialect;
      const c = await ctx.session({ output: 'audio', turnDetection: null });
      c.send({ type: 'conversation.item.create', item: userText('Say hello in one short sentence.') });
      c.send(responseCreate(d));
      const r = await awaitResponse(c);
      check(r.done.status === 'completed', `response ended ${String(r.done.status)}`);
      const partAdded = r.events.find((e) => e.ga === 'response.content_part.added');
      check(
        (partAdded?.e.part as E | undefined)?.type === 'audio',
        'content_part.added part type is not audio',
      );
      const transcript = joined(r.events, 'response.output_audio_transcript.delta');
      const item = (r.done.output as E[])[0]!;
      check(
        firstPart(item).type === (d === 'ga' ? 'output_audio' : 'audio'),
        `content type ${String(firstPart(item).type)}`,
      );
      check(firstPart(item).transcript === transcript, 'item transcript != transcript deltas');
      check(
        r.events.some((e) => e.ga === 'response.output_audio.done'),
        'no output_audio.done',
      );
      checkAudioFitsTranscript(r.events, 48, transcript);
    },
  },
  {
    name: 'response.out-of-band',
    description:
      'conversation: "none" with its own input and metadata: conversation_id null, nothing added to the conversation.',
    scope: 'any',
    run: async (ctx) => {
      const d = ctx.dialect;
      const c = await ctx.session({ output: 'text', turnDetection: null });
      c.send(
        responseCreate(d, {
          conversation: 'none',
          output: 'text',
          metadata: { purpose: 'classification' },
          input: [userText('Answer with one word: is the sky blue?')],
        }),
      );
      const r = await awaitResponse(c);
      check(
        r.created.conversation_id === null,
        `conversation_id is ${JSON.stringify(r.created.conversation_id)}`,
      );
      check(
        (r.done.metadata as E | null)?.purpose === 'classification',
        'metadata not echoed on response.done',
      );
      check(r.done.status === 'completed', `response ended ${String(r.done.status)}`);
      const ids = new Set((r.done.output as E[]).map((o) => o.id));
      const joinedConversation = c
        .received()
        .filter((x) => x.ga === 'conversation.item.added' && ids.has((x.e.item as E).id));
      check(joinedConversation.length === 0, 'an out-of-band output item was added to the conversation');
    },
  },
  {
    name: 'response.cancel',
    description:
      'response.cancel closes the open parts and items, then response.done cancelled (client_cancelled).',
    scope: 'any',
    run: async (ctx) => {
      const d = ctx.dialect;
      const c = await ctx.session({ output: 'audio', turnDetection: null });
      c.send({ type: 'conversation.item.create', item: userText(LONG_REQUEST) });
      const mark = c.mark();
      c.send(responseCreate(d));
      // Cancel once output is flowing, so there are open parts to close.
      await c.next('response.content_part.added');
      c.send({ type: 'response.cancel' });
      const r = await awaitResponse(c, mark);
      check(r.done.status === 'cancelled', `response ended ${String(r.done.status)}, expected cancelled`);
      check(
        (r.done.status_details as E | null)?.reason === 'client_cancelled',
        'status_details.reason is not client_cancelled',
      );
      // The session goes on.
      c.send(responseCreate(d, { output: 'text' }));
      const again = await awaitResponse(c);
      check(again.done.status === 'completed', `the next response ended ${String(again.done.status)}`);
    },
  },
  {
    name: 'function.round-trip',
    description: 'A forced function call, its output sent back, and the answer that uses it.',
    scope: 'any',
    run: async (ctx) => {
      const d = ctx.dialect;
      const c = await ctx.session({
        output: 'text',
        turnDetection: null,
        tools: [WEATHER_TOOL],
        toolChoice: 'auto',
      });
      c.send({
        type: 'conversation.item.create',
        item: userText(
          'What is the weather in Paris? Please call get_weather {"city": "Paris"} to find out.',
        ),
      });
      c.send(responseCreate(d, { toolChoice: { type: 'function', name: 'get_weather' } }));
      const r = await awaitResponse(c);
      check(r.done.status === 'completed', `the call response ended ${String(r.done.status)}`);
      const call = (r.done.output as E[]).find((o) => o.type === 'function_call');
      check(call, 'no function_call item in the output');
      check(
        call.name === 'get_weather' && typeof call.call_id === 'string',
        'the call lacks its name or call_id',
      );
      check(call.status === 'completed', `function_call status ${String(call.status)}`);
      const args = JSON.parse(String(call.arguments)) as E;
      check(typeof args.city === 'string', `arguments ${String(call.arguments)} lack "city"`);
      const argsDone = r.events.find((e) => e.ga === 'response.function_call_arguments.done');
      if (d === 'ga') check(argsDone?.e.name === 'get_weather', 'GA function_call_arguments.done lacks name');
      check(argsDone?.e.call_id === call.call_id, 'function_call_arguments.done names another call_id');

      c.send({
        type: 'conversation.item.create',
        item: { type: 'function_call_output', call_id: call.call_id, output: '{"temperature_c": 21}' },
      });
      const out = await c.next(
        'conversation.item.added',
        (e) => (e.item as E).type === 'function_call_output',
      );
      check((out.item as E).call_id === call.call_id, 'the output item names another call_id');
      c.send(responseCreate(d));
      const answer = await awaitResponse(c);
      check(answer.done.status === 'completed', `the answer ended ${String(answer.done.status)}`);
      const message = (answer.done.output as E[]).find((o) => o.type === 'message');
      check(
        message && String(firstPart(message).text ?? '').length > 0,
        'no text answer after the function output',
      );
    },
  },
];
