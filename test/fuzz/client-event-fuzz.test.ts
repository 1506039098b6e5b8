/**
 * Fuzzes the session with generated and mutated client events of every type, in one session and
 * across concurrent sessions on a real gateway: nothing crashes, every event the protocol refuses
 * is answered by an `error` carrying its `event_id`, events known to be invalid by construction
 * are refused, and a valid `response.create` is still answered afterwards.
 */
import { describe, expect, it } from 'vitest';
import {
  CLIENT_EVENT_SCHEMAS,
  parseBetaClientEvent,
  parseClientEvent,
} from '../../protocol/realtime/index.js';
import { startGateway } from '../helpers/gateway.js';
import { Harness } from '../helpers/session-harness.js';
import { TestClient } from '../helpers/ws-client.js';

/** Deterministic PRNG (mulberry32) so a failure replays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const pcm = (ms: number) => Buffer.alloc(ms * 48, 1).toString('base64');
const userMsg = {
  type: 'message',
  role: 'user',
  content: [{ type: 'input_text', text: 'call lookup {"q":1}' }],
};

/** A valid example of every GA client event type. */
const SEEDS: Record<string, Json[]> = {
  'session.update': [
    { type: 'session.update', session: { type: 'realtime', instructions: 'x', output_modalities: ['text'] } },
    {
      type: 'session.update',
      session: {
        type: 'realtime',
        audio: {
          input: { turn_detection: null, format: { type: 'audio/pcmu' } },
          output: { voice: 'verse', speed: 1.2 },
        },
      },
    },
    {
      type: 'session.update',
      session: {
        type: 'realtime',
        tools: [{ type: 'function', name: 'lookup', parameters: { type: 'object' } }],
        tool_choice: 'auto',
      },
    },
  ],
  'input_audio_buffer.append': [{ type: 'input_audio_buffer.append', audio: pcm(120) }],
  'input_audio_buffer.commit': [{ type: 'input_audio_buffer.commit' }],
  'input_audio_buffer.clear': [{ type: 'input_audio_buffer.clear' }],
  'conversation.item.create': [
    { type: 'conversation.item.create', item: userMsg },
    {
      type: 'conversation.item.create',
      previous_item_id: 'root',
      item: { type: 'message', role: 'system', content: [{ type: 'input_text', text: 's' }] },
    },
    {
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: 'call_x', output: '1' },
    },
  ],
  'conversation.item.retrieve': [{ type: 'conversation.item.retrieve', item_id: 'item_x' }],
  'conversation.item.delete': [{ type: 'conversation.item.delete', item_id: 'item_x' }],
  'conversation.item.truncate': [
    { type: 'conversation.item.truncate', item_id: 'item_x', content_index: 0, audio_end_ms: 10 },
  ],
  'response.create': [
    { type: 'response.create' },
    {
      type: 'response.create',
      response: { conversation: 'none', output_modalities: ['text'], metadata: { a: 'b' }, input: [userMsg] },
    },
    {
      type: 'response.create',
      response: { instructions: 'be brief', max_output_tokens: 2, tool_choice: 'none' },
    },
  ],
  'response.cancel': [{ type: 'response.cancel' }],
  'output_audio_buffer.clear': [{ type: 'output_audio_buffer.clear' }],
  'session.input_audio_buffer.append': [{ type: 'session.input_audio_buffer.append', audio: pcm(10) }],
  'session.close': [{ type: 'session.close' }],
};

const ODD_VALUES: Json[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  '',
  'x'.repeat(300),
  '\u0000\ud800',
  [],
  [null],
  {},
  { type: 'x' },
  'audio/pcm',
  'inf',
];

interface Generated {
  text: string;
  eventId: string | null;
  /** Invalid by construction, whatever the parser says. */
  knownInvalid: boolean;
}

/** Makes one event: a seed, mutated 0 to 3 times. */
function generate(next: () => number, n: number): Generated {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const types = Object.keys(SEEDS);
  const seed = structuredClone(pick(SEEDS[pick(types)]!)) as { [k: string]: Json };
  const eventId = `fz_${n}`;
  seed.event_id = eventId;
  const roll = next();
  if (roll < 0.03)
    return {
      text: JSON.stringify(seed).slice(0, Math.floor(next() * 40)),
      eventId: null,
      knownInvalid: true,
    };
  if (roll < 0.05)
    return { text: JSON.stringify(pick([[seed], 'str', 42, null])), eventId: null, knownInvalid: true };
  const mutations = roll < 0.25 ? 0 : 1 + Math.floor(next() * 3);
  for (let m = 0; m < mutations; m++) {
    const paths = collectPaths(seed);
    const path = pick(paths);
    const kind = next();
    if (kind < 0.15 && path.length > 0) {
      deleteAt(seed, path);
    } else if (kind < 0.3) {
      const parentPath = path.slice(0, -1);
      const parent = getAt(seed, parentPath);
      if (parent && typeof parent === 'object' && !Array.isArray(parent)) {
        parent[`zz_unknown_${m}`] = structuredClone(pick(ODD_VALUES));
      }
    } else if (kind < 0.4 && path.length === 1 && path[0] === 'type') {
      seed.type = pick(['bogus.event', 'response.text.delta', 'session.created', '', 'RESPONSE.CREATE']);
    } else if (path.length > 0 && path[0] !== 'event_id') {
      setAt(seed, path, structuredClone(pick(ODD_VALUES)));
    }
  }
  // Known invalid whatever the schemas say: an unknown top-level field or a type that is no client event.
  const knownInvalid =
    Object.keys(seed).some((k) => k.startsWith('zz_unknown_')) ||
    typeof seed.type !== 'string' ||
    !(seed.type in SEEDS);
  return { text: JSON.stringify(seed), eventId, knownInvalid };
}

function collectPaths(
  v: Json,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(prefix);
  if (v && typeof v === 'object') {
    for (const [k, child] of Object.entries(v))
      collectPaths(child as Json, [...prefix, Array.isArray(v) ? Number(k) : k], out);
  }
  return out;
}
function getAt(v: Json, path: (string | number)[]): Record<string, Json> | undefined {
  let cur: Json = v;
  for (const p of path) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, Json>)[p as string] as Json;
  }
  return cur && typeof cur === 'object' ? (cur as Record<string, Json>) : undefined;
}
function setAt(v: Json, path: (string | number)[], value: Json): void {
  const parent = getAt(v, path.slice(0, -1));
  if (parent) parent[path.at(-1) as string] = value;
}
function deleteAt(v: Json, path: (string | number)[]): void {
  const parent = getAt(v, path.slice(0, -1));
  if (parent && !Array.isArray(parent)) delete parent[path.at(-1) as string];
}

const SINGLE_SESSION_EVENTS = 8_000;
const BETA_EVENTS = 2_000;
const SESSIONS = 4;
const EVENTS_PER_SESSION = 600;

describe('client event fuzzing', () => {
  it('covers every GA client event type', () => {
    expect(Object.keys(SEEDS).sort()).toEqual(Object.keys(CLIENT_EVENT_SCHEMAS).sort());
  });

  it(`one session, ${SINGLE_SESSION_EVENTS} events: refused ones get their error, the session still answers`, async () => {
    const next = rng(20261122);
    const h = new Harness({ limits: { maxConversationItems: 500 } });
    let refused = 0;
    for (let n = 0; n < SINGLE_SESSION_EVENTS; n++) {
      const g = generate(next, n);
      const before = h.events.length;
      h.send(g.text);
      const parsedOk = parseClientEvent(g.text).ok;
      if (g.knownInvalid) expect(parsedOk, g.text).toBe(false);
      if (!parsedOk) {
        refused++;
        const errors = h.events.slice(before).filter((e) => e.type === 'error');
        expect(errors, g.text).toHaveLength(1);
        const sentId = (JSON.parse(safeJson(g.text)) as { event_id?: unknown } | null)?.event_id;
        expect((errors[0] as { error: { event_id: string | null } }).error.event_id).toBe(
          typeof sentId === 'string' ? sentId : null,
        );
      }
      if (n % 200 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(refused).toBeGreaterThan(SINGLE_SESSION_EVENTS / 4);
    await expectStillAnswers(h);
    expect(h.invalidEvents()).toEqual([]);
  });

  it(`beta dialect, ${BETA_EVENTS} events through the translating codec`, async () => {
    const next = rng(99);
    const h = new Harness({ dialect: 'beta', limits: { maxConversationItems: 500 } });
    for (let n = 0; n < BETA_EVENTS; n++) {
      const g = generate(next, n);
      const before = h.events.length;
      h.send(g.text);
      if (!parseBetaClientEvent(g.text).ok) {
        const errors = h.events.slice(before).filter((e) => e.type === 'error');
        expect(errors, g.text).toHaveLength(1);
      }
    }
    await expectStillAnswers(h, true);
  });

  it(`${SESSIONS} concurrent sessions on a real gateway, ${EVENTS_PER_SESSION} events each`, async () => {
    const gw = await startGateway();
    try {
      const clients = await Promise.all(
        Array.from({ length: SESSIONS }, () => TestClient.connect(`${gw.url}?model=fuzz`)),
      );
      await Promise.all(clients.map((c) => c.next('session.created')));
      const expected: string[][] = clients.map(() => []);
      const next = rng(7);
      for (let n = 0; n < EVENTS_PER_SESSION * SESSIONS; n++) {
        const i = n % SESSIONS;
        const g = generate(next, n);
        if (!parseClientEvent(g.text).ok && g.eventId && g.text.includes(`"event_id":"${g.eventId}"`))
          expected[i]!.push(g.eventId);
        clients[i]!.send(g.text);
      }
      for (const [i, c] of clients.entries()) {
        // Events are handled in order: once the sentinel's error is back, every earlier one was answered.
        c.send({ type: 'bogus.sentinel', event_id: `sentinel_${i}` });
        await c.next('error', (e) => (e.error as { event_id: string }).event_id === `sentinel_${i}`, 15_000);
        const errorIds = c.received
          .filter((e) => e.type === 'error')
          .map((e) => (e.error as { event_id: string | null }).event_id);
        expect(expected[i]!.filter((id) => !errorIds.includes(id))).toEqual([]);
        // No session answered another session's events.
        const mine = (id: string) => !/^fz_\d+$/.test(id) || Number(id.slice(3)) % SESSIONS === i;
        expect(errorIds.filter((id): id is string => id !== null && !mine(id))).toEqual([]);
        // And it still answers a valid request.
        c.send({ type: 'response.create', response: { conversation: 'none', output_modalities: ['text'] } });
        const created = await c.next('response.created', () => true, 15_000);
        const id = (created.response as { id: string }).id;
        await c.next('response.done', (e) => (e.response as { id: string }).id === id, 15_000);
      }
      await Promise.all(clients.map((c) => c.close()));
    } finally {
      await gw.close();
    }
  });
});

function safeJson(text: string): string {
  try {
    JSON.parse(text);
    return text;
  } catch {
    return 'null';
  }
}

async function expectStillAnswers(h: Harness, beta = false): Promise<void> {
  h.send({ type: 'response.cancel' });
  await new Promise((r) => setTimeout(r, 20));
  const mark = h.events.length;
  const modalities = beta ? { modalities: ['text'] } : { output_modalities: ['text'] };
  h.send({ type: 'response.create', event_id: 'final', response: { conversation: 'none', ...modalities } });
  await h.waitFor('response.created', mark);
  const done = await h.waitFor('response.done', mark);
  expect(done.type).toBe('response.done');
}
