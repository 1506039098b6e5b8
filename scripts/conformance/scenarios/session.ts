/** Session start and session.update (shared/realtime-protocol.md 4.1, 3 and 7.4). */
import { sessionUpdate } from '../dialect.js';
import { check } from '../runner.js';
import type { Scenario } from '../runner.js';

type E = Record<string, unknown>;

/** The fields a full session object must carry, per dialect. */
const GA_FIELDS = [
  'id',
  'object',
  'type',
  'model',
  'output_modalities',
  'instructions',
  'tools',
  'tool_choice',
  'audio',
];
const BETA_FIELDS = [
  'id',
  'object',
  'model',
  'modalities',
  'instructions',
  'voice',
  'input_audio_format',
  'output_audio_format',
  'turn_detection',
  'tools',
  'tool_choice',
];

const TOOL = {
  type: 'function',
  name: 'get_time',
  description: 'The current time.',
  parameters: { type: 'object', properties: {} },
};

export const SESSION_SCENARIOS: Scenario[] = [
  {
    name: 'session.start',
    description:
      'session.created comes first with a full session object; events sent before it are queued, not lost.',
    scope: 'any',
    run: async (ctx) => {
      const c = await ctx.connect();
      // Sent at once on open, as agents-js does: possibly before session.created arrives.
      c.send({ ...sessionUpdate(ctx.dialect, { instructions: 'Be brief.' }), event_id: 'kit_start_update' });
      const created = await c.next('session.created');
      const session = created.session as E;
      check(session && typeof session === 'object', 'session.created has no session object');
      const missing = (ctx.dialect === 'ga' ? GA_FIELDS : BETA_FIELDS).filter((f) => !(f in session));
      check(missing.length === 0, `session.created lacks ${missing.join(', ')}`);
      check(typeof session.id === 'string' && session.id.length > 0, 'session.id is not a string');
      if (ctx.dialect === 'ga') check(session.type === 'realtime', `session.type is ${String(session.type)}`);
      const updated = (await c.next('session.updated')).session as E;
      check(updated.instructions === 'Be brief.', 'the early session.update was not applied');
      check(updated.id === session.id, 'session.updated names another session id');
    },
  },
  {
    name: 'session.update',
    description:
      'session.updated echoes the full effective session; updates merge; [] clears tools; a rejected update changes nothing.',
    scope: 'any',
    run: async (ctx) => {
      const d = ctx.dialect;
      const c = await ctx.session();
      c.send(
        sessionUpdate(d, {
          instructions: 'You are a test.',
          voice: 'verse',
          output: 'text',
          turnDetection: null,
          tools: [TOOL],
          toolChoice: 'auto',
          maxOutputTokens: 200,
        }),
      );
      const s1 = (await c.next('session.updated')).session as E;
      const voice = d === 'ga' ? ((s1.audio as E).output as E).voice : s1.voice;
      const td = d === 'ga' ? ((s1.audio as E).input as E).turn_detection : s1.turn_detection;
      const mods = d === 'ga' ? s1.output_modalities : s1.modalities;
      const maxTokens = d === 'ga' ? s1.max_output_tokens : s1.max_response_output_tokens;
      check(s1.instructions === 'You are a test.', 'instructions not echoed');
      check(voice === 'verse', `voice is ${JSON.stringify(voice)}, expected "verse"`);
      check(td === null, `turn_detection is ${JSON.stringify(td)}, expected null`);
      check(JSON.stringify(mods) === '["text"]', `modalities are ${JSON.stringify(mods)}`);
      check(maxTokens === 200, `max output tokens is ${JSON.stringify(maxTokens)}`);
      check(Array.isArray(s1.tools) && (s1.tools as E[])[0]?.name === 'get_time', 'tools not echoed');
      const format = d === 'ga' ? ((s1.audio as E).input as E).format : s1.input_audio_format;
      check(format !== undefined, 'the full session lost its input format (echo is not the full config)');

      // A partial update keeps what it does not name.
      c.send(sessionUpdate(d, { instructions: 'Second.' }));
      const s2 = (await c.next('session.updated')).session as E;
      const voice2 = d === 'ga' ? ((s2.audio as E).output as E).voice : s2.voice;
      check(
        s2.instructions === 'Second.' && voice2 === 'verse',
        'a partial update reset fields it did not name',
      );
      check((s2.tools as E[]).length === 1, 'a partial update dropped the tools');

      c.send(sessionUpdate(d, { tools: [] }));
      const s3 = (await c.next('session.updated')).session as E;
      check((s3.tools as E[]).length === 0, 'tools: [] did not clear the tools');

      // Rejected (a field of the other dialect): one error, no session.updated, nothing changed.
      const foreign =
        d === 'ga' ? { type: 'realtime', modalities: ['text'] } : { output_modalities: ['text'] };
      const mark = c.mark();
      c.send({ type: 'session.update', event_id: 'kit_bad_update', session: foreign });
      c.send(sessionUpdate(d, { instructions: 'Third.' }));
      const s4 = (await c.next('session.updated', () => true, mark)).session as E;
      const between = c.received(mark).map((r) => r.ga);
      check(
        between[0] === 'error' && between[1] === 'session.updated',
        `a rejected update was answered [${between.slice(0, 3).join(', ')}], expected [error, session.updated]`,
      );
      check(
        s4.instructions === 'Third.' && (s4.tools as E[]).length === 0,
        'the rejected update changed the session',
      );
    },
  },
];
