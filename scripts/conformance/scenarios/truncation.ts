/**
 * Session truncation (protocol: `session.truncation`): a conversation longer than the model's
 * context still gets an answer, its oldest items left out of the model's input (`auto`, the
 * default); with `disabled` this gateway fails the response instead (OpenAI documents "an error"
 * without its shape, so that scenario is the gateway's own).
 */
import type { KitClient } from '../client.js';
import { responseCreate, sessionUpdate, userText } from '../dialect.js';
import { check, KitSkip } from '../runner.js';
import type { Scenario, ScenarioContext } from '../runner.js';
import { awaitResponse } from './steps.js';
import type { SeenResponse } from './steps.js';

type E = Record<string, unknown>;

/** Characters per user item: long enough that few items fill a context. */
const ITEM_CHARS = 2_000;

/**
 * Sends user text items of six characters per token of the server's context in all: past it for
 * any tokenizer that puts fewer than six characters in a token. The filler's short common words
 * are about one token each (nearly five characters with the space), so it is past by a fifth.
 */
async function fillPastContext(c: KitClient, ctx: ScenarioContext): Promise<void> {
  const items = Math.ceil((ctx.options.limits.LLM_CONTEXT_TOKENS * 6) / ITEM_CHARS);
  const words = 'the quick brown fox jumps over the lazy dog '.repeat(ITEM_CHARS / 44 + 1);
  for (let i = 0; i < items; i++) {
    c.send({ type: 'conversation.item.create', item: userText(`${i} ${words}`.slice(0, ITEM_CHARS)) });
    await c.next('conversation.item.added');
  }
  c.send({ type: 'conversation.item.create', item: userText('Now answer with one short greeting.') });
  await c.next('conversation.item.added');
}

/** The `status_details.error` of a response that ended, if any. */
const errorOf = (r: SeenResponse) => (r.done.status_details as E | null)?.error as E | undefined;

/** A response a per-minute token limit refused says nothing about truncation: the scenario is skipped. */
function skipIfRateLimited(r: SeenResponse): void {
  const error = errorOf(r);
  if (
    r.done.status === 'failed' &&
    (error?.type === 'rate_limit_error' || error?.code === 'rate_limit_exceeded')
  )
    throw new KitSkip(`the server's rate limit refused the response (${String(error.code)})`);
}

export const TRUNCATION_SCENARIOS: Scenario[] = [
  {
    name: 'truncation.auto',
    description: 'A conversation past the model context still gets an answer, and keeps its items.',
    scope: 'any',
    run: async (ctx) => {
      const c = await ctx.session({ output: 'text', turnDetection: null });
      await fillPastContext(c, ctx);
      c.send(responseCreate(ctx.dialect));
      const r = await awaitResponse(c);
      skipIfRateLimited(r);
      check(r.done.status === 'completed', `response ended ${String(r.done.status)}`);
      // Where usage is reported, the model's input must have been cut to fit its context.
      const input = Number((r.done.usage as E | null)?.input_tokens ?? 0);
      const context = ctx.options.limits.LLM_CONTEXT_TOKENS;
      check(input < context, `usage.input_tokens ${input}: the whole conversation (past ${context}) went in`);
      // The oldest item is still in the conversation: truncation cuts the model's input only.
      const first = c.received().find((x) => x.ga === 'conversation.item.added')!.e.item as E;
      c.send({ type: 'conversation.item.retrieve', item_id: first.id });
      const got = await c.next('conversation.item.retrieved');
      check((got.item as E).id === first.id, `retrieve answered ${String((got.item as E).id)}`);
    },
  },
  {
    name: 'error.context_length_exceeded',
    description:
      'With truncation disabled, a conversation past the model context fails the response (response.done ' +
      'failed, status_details.error context_length_exceeded); the session goes on.',
    scope: 'gateway',
    skipReason: (o) => (o.endpoint.dialect === 'beta' ? 'GA only: beta has no truncation field' : null),
    run: async (ctx) => {
      const c = await ctx.session({ output: 'text', turnDetection: null, truncation: 'disabled' });
      await fillPastContext(c, ctx);
      c.send(responseCreate(ctx.dialect));
      const failed = await awaitResponse(c);
      skipIfRateLimited(failed);
      check(failed.done.status === 'failed', `response ended ${String(failed.done.status)}`);
      const error = errorOf(failed);
      check(
        error?.code === 'context_length_exceeded' && error.type === 'invalid_request_error',
        `status_details.error ${JSON.stringify(error)}`,
      );
      c.send(sessionUpdate(ctx.dialect, { truncation: 'auto' }));
      await c.next('session.updated');
      c.send(responseCreate(ctx.dialect));
      const next = await awaitResponse(c);
      skipIfRateLimited(next);
      check(
        next.done.status === 'completed',
        `after truncation auto the response ended ${String(next.done.status)}`,
      );
    },
  },
];
