/**
 * The protocol's ordering and consistency requirements (shared/realtime-protocol.md 4 and 7.4) as
 * named rules, each checked on every recorded event stream of every scenario. A rule that finds
 * nothing to judge in a stream reports `applicable: false` for it.
 */
import type { Recorded } from './client.js';
import { FOREIGN_NAMES } from './dialect.js';
import type { Dialect } from './dialect.js';

/** What one rule found in one stream. */
export interface RuleOutcome {
  applicable: boolean;
  violations: string[];
}

/** A named rule. */
export interface Rule {
  name: string;
  description: string;
  check(stream: Recorded[], dialect: Dialect): RuleOutcome;
}

type E = Record<string, unknown>;
/** An inbound event with its position in the stream. */
interface In {
  i: number;
  ga: string;
  e: E;
}

const inbound = (s: Recorded[]): In[] =>
  s.flatMap((r, i) => (r.dir === 'in' ? [{ i, ga: r.ga, e: r.e }] : []));
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const responseOf = (x: In): string | undefined =>
  str(x.e.response_id) ??
  (x.ga.startsWith('response.') ? str((x.e.response as E | undefined)?.id) : undefined);
const itemOf = (x: In): string | undefined => str(x.e.item_id) ?? str((x.e.item as E | undefined)?.id);
const DELTA_OR_DONE = new Set([
  'response.output_text.delta',
  'response.output_text.done',
  'response.output_audio.delta',
  'response.output_audio.done',
  'response.output_audio_transcript.delta',
  'response.output_audio_transcript.done',
]);
const CONTENT_EVENTS = new Set([
  ...DELTA_OR_DONE,
  'response.content_part.added',
  'response.content_part.done',
]);
const ITEM_CONTENT = new Set([
  ...CONTENT_EVENTS,
  'response.function_call_arguments.delta',
  'response.function_call_arguments.done',
]);

function outcome(applicable: boolean, violations: string[]): RuleOutcome {
  return { applicable, violations: violations.slice(0, 5) };
}
const firstIndex = (xs: In[], pred: (x: In) => boolean) => xs.find(pred)?.i;

/** The rules, in report order. */
export const RULES: Rule[] = [
  {
    name: 'session.created first',
    description: 'The first server event of a connection is session.created.',
    check: (s) => {
      const ins = inbound(s);
      if (!ins.length) return outcome(false, []);
      return outcome(true, ins[0]!.ga === 'session.created' ? [] : [`first event is ${ins[0]!.ga}`]);
    },
  },
  {
    name: 'every server event has an event_id',
    description: 'Every server event carries a string event_id.',
    check: (s) => {
      const ins = inbound(s);
      return outcome(
        ins.length > 0,
        ins.filter((x) => typeof x.e.event_id !== 'string').map((x) => `${x.ga} #${x.i} has no event_id`),
      );
    },
  },
  {
    name: 'event names match the dialect',
    description: 'A GA connection never receives beta-only names, nor a beta connection GA-only ones.',
    check: (s, d) => {
      const ins = inbound(s);
      const bad = ins.filter((x) => FOREIGN_NAMES[d].has(String(x.e.type)));
      return outcome(
        ins.length > 0,
        bad.map((x) => `${String(x.e.type)} on a ${d} connection`),
      );
    },
  },
  {
    name: 'session.updated answers a session.update',
    description: 'No session.updated arrives without a session.update sent before it.',
    check: (s) => {
      let sent = 0;
      let answered = 0;
      const v: string[] = [];
      for (const r of s) {
        if (r.dir === 'out' && (r.type === 'session.update' || r.type === 'transcription_session.update'))
          sent++;
        if (r.dir === 'in' && r.ga === 'session.updated' && ++answered > sent)
          v.push(`unsolicited session.updated at #${s.indexOf(r)}`);
      }
      return outcome(answered > 0, v);
    },
  },
  {
    name: 'response.created before its output',
    description: 'Every event naming a response comes after that response.created.',
    check: (s) => {
      const created = new Set<string>();
      const v: string[] = [];
      let any = false;
      for (const x of inbound(s)) {
        const r = responseOf(x);
        if (!r) continue;
        any = true;
        if (x.ga === 'response.created') created.add(r);
        else if (!created.has(r)) v.push(`${x.ga} before response.created of ${r}`);
      }
      return outcome(any, v);
    },
  },
  {
    name: 'response.done last for its response',
    description: 'One response.done per response, and nothing of that response after it.',
    check: (s) => {
      const done = new Set<string>();
      const v: string[] = [];
      let any = false;
      for (const x of inbound(s)) {
        const r = responseOf(x);
        if (!r) continue;
        if (done.has(r)) v.push(`${x.ga} after response.done of ${r}`);
        if (x.ga === 'response.done') {
          any = true;
          done.add(r);
        }
      }
      return outcome(any, v);
    },
  },
  {
    name: 'every response ends with response.done',
    description: 'Each response.created is followed by its response.done.',
    check: (s) => {
      const ins = inbound(s);
      const created = ins.filter((x) => x.ga === 'response.created').map(responseOf);
      const done = new Set(ins.filter((x) => x.ga === 'response.done').map(responseOf));
      return outcome(
        created.length > 0,
        created.filter((r) => !done.has(r)).map((r) => `response ${r} never ended`),
      );
    },
  },
  {
    name: 'output items in output_index order',
    description: "A response's output_item.added events number their items 0, 1, 2, ...",
    check: (s) => {
      const next = new Map<string, number>();
      const v: string[] = [];
      for (const x of inbound(s).filter((y) => y.ga === 'response.output_item.added')) {
        const r = responseOf(x) ?? '';
        const want = next.get(r) ?? 0;
        if (x.e.output_index !== want)
          v.push(`output_index ${String(x.e.output_index)}, expected ${want} (${r})`);
        next.set(r, want + 1);
      }
      return outcome(next.size > 0, v);
    },
  },
  {
    name: 'output_item.added before its content',
    description: 'Content parts, deltas and argument events of an item come after its output_item.added.',
    check: (s) => {
      const added = new Set<string>();
      const v: string[] = [];
      let any = false;
      for (const x of inbound(s)) {
        if (x.ga === 'response.output_item.added') added.add(itemOf(x) ?? '');
        else if (ITEM_CONTENT.has(x.ga)) {
          any = true;
          if (!added.has(itemOf(x) ?? '')) v.push(`${x.ga} for unannounced item ${itemOf(x)}`);
        }
      }
      return outcome(any, v);
    },
  },
  {
    name: 'content_part.added before its deltas, deltas before part done',
    description: "Text, audio and transcript deltas and dones fall between their part's added and done.",
    check: (s) => {
      const open = new Set<string>();
      const closed = new Set<string>();
      const v: string[] = [];
      let any = false;
      for (const x of inbound(s)) {
        if (!CONTENT_EVENTS.has(x.ga)) continue;
        any = true;
        const key = `${itemOf(x)}/${String(x.e.content_index)}`;
        if (x.ga === 'response.content_part.added') open.add(key);
        else if (x.ga === 'response.content_part.done') {
          if (!open.has(key)) v.push(`content_part.done for unopened part ${key}`);
          open.delete(key);
          closed.add(key);
        } else if (!open.has(key))
          v.push(`${x.ga} outside its open part ${key}${closed.has(key) ? ' (after part done)' : ''}`);
      }
      return outcome(any, v);
    },
  },
  {
    name: 'every content part done before its item done',
    description: 'Each content_part.added has its content_part.done before the output_item.done of its item.',
    check: (s) => {
      const open = new Map<string, Set<number>>();
      const v: string[] = [];
      let any = false;
      for (const x of inbound(s)) {
        const item = itemOf(x) ?? '';
        if (x.ga === 'response.content_part.added') {
          any = true;
          open.set(item, (open.get(item) ?? new Set()).add(Number(x.e.content_index)));
        } else if (x.ga === 'response.content_part.done') open.get(item)?.delete(Number(x.e.content_index));
        else if (x.ga === 'response.output_item.done' && open.get(item)?.size)
          v.push(`output_item.done of ${item} with part(s) ${[...open.get(item)!].join(',')} open`);
      }
      return outcome(any, v);
    },
  },
  {
    name: 'every output item done before response.done',
    description: 'Each output_item.added of a response has its output_item.done before that response.done.',
    check: (s) => {
      const open = new Map<string, Set<string>>();
      const v: string[] = [];
      let any = false;
      for (const x of inbound(s)) {
        const r = responseOf(x) ?? '';
        if (x.ga === 'response.output_item.added') {
          any = true;
          open.set(r, (open.get(r) ?? new Set()).add(itemOf(x) ?? ''));
        } else if (x.ga === 'response.output_item.done') open.get(r)?.delete(itemOf(x) ?? '');
        else if (x.ga === 'response.done' && open.get(r)?.size)
          v.push(`response.done of ${r} with item(s) ${[...open.get(r)!].join(',')} open`);
      }
      return outcome(any, v);
    },
  },
  {
    name: 'response.done output matches its items',
    description:
      "response.done lists exactly the items announced by the response's output_item.added events.",
    check: (s) => {
      const items = new Map<string, string[]>();
      const v: string[] = [];
      let any = false;
      for (const x of inbound(s)) {
        const r = responseOf(x) ?? '';
        if (x.ga === 'response.output_item.added') items.set(r, [...(items.get(r) ?? []), itemOf(x) ?? '']);
        if (x.ga === 'response.done') {
          any = true;
          const out = ((x.e.response as E).output as E[] | undefined)?.map((o) => String(o.id)) ?? [];
          const want = items.get(r) ?? [];
          if (out.join(',') !== want.join(','))
            v.push(`response.done of ${r} lists [${out}], announced [${want}]`);
        }
      }
      return outcome(any, v);
    },
  },
  {
    name: 'output item joins the conversation before its content',
    description:
      'In a response of the default conversation, conversation.item.added (beta: .created) of each output item comes after its output_item.added and before its first content.',
    check: (s) => {
      const ins = inbound(s);
      const inConversation = new Set(
        ins
          .filter((x) => x.ga === 'response.created' && (x.e.response as E).conversation_id !== null)
          .map((x) => responseOf(x)),
      );
      const v: string[] = [];
      let any = false;
      for (const x of ins.filter(
        (y) => y.ga === 'response.output_item.added' && inConversation.has(responseOf(y)),
      )) {
        any = true;
        const id = itemOf(x);
        const joined = firstIndex(ins, (y) => y.ga === 'conversation.item.added' && itemOf(y) === id);
        const content = firstIndex(ins, (y) => y.i > x.i && ITEM_CONTENT.has(y.ga) && itemOf(y) === id);
        if (joined === undefined) v.push(`output item ${id} never added to the conversation`);
        else if (joined < x.i) v.push(`conversation.item.added of ${id} before its output_item.added`);
        else if (content !== undefined && content < joined)
          v.push(`content of ${id} before conversation.item.added`);
      }
      return outcome(any, v);
    },
  },
  {
    name: 'conversation.item.done after added (GA)',
    description:
      'GA: conversation.item.done of an item follows its conversation.item.added, and for an output item its output_item.done.',
    check: (s, d) => {
      if (d === 'beta') return outcome(false, []);
      const ins = inbound(s);
      const v: string[] = [];
      const dones = ins.filter((x) => x.ga === 'conversation.item.done');
      for (const x of dones) {
        const id = itemOf(x);
        const added = firstIndex(ins, (y) => y.ga === 'conversation.item.added' && itemOf(y) === id);
        if (added === undefined || added > x.i) v.push(`conversation.item.done of ${id} before its added`);
        const outAdded = firstIndex(ins, (y) => y.ga === 'response.output_item.added' && itemOf(y) === id);
        const outDone = firstIndex(ins, (y) => y.ga === 'response.output_item.done' && itemOf(y) === id);
        if (outAdded !== undefined && (outDone === undefined || outDone > x.i))
          v.push(`conversation.item.done of ${id} before its output_item.done`);
      }
      return outcome(dones.length > 0, v);
    },
  },
  {
    name: 'speech_started before speech_stopped before committed',
    description:
      'For a turn the server detects, speech_started, speech_stopped and committed come in that order with one item_id.',
    check: (s) => {
      const ins = inbound(s);
      const started = new Map<string, number>();
      const stopped = new Map<string, number>();
      const v: string[] = [];
      let any = false;
      for (const x of ins) {
        const id = itemOf(x) ?? '';
        if (x.ga === 'input_audio_buffer.speech_started') {
          any = true;
          started.set(id, x.i);
        } else if (x.ga === 'input_audio_buffer.speech_stopped') {
          if (!started.has(id)) v.push(`speech_stopped for ${id} without speech_started`);
          stopped.set(id, x.i);
        } else if (x.ga === 'input_audio_buffer.committed' && started.has(id) && !stopped.has(id))
          v.push(`committed ${id} before its speech_stopped`);
      }
      return outcome(any, v);
    },
  },
  {
    name: 'committed before the user item is added',
    description: 'input_audio_buffer.committed comes first, then conversation.item.added of the same item.',
    check: (s) => {
      const ins = inbound(s);
      const commits = ins.filter((x) => x.ga === 'input_audio_buffer.committed');
      const v: string[] = [];
      for (const c of commits) {
        const id = itemOf(c);
        const added = firstIndex(ins, (y) => y.ga === 'conversation.item.added' && itemOf(y) === id);
        if (added === undefined) v.push(`committed item ${id} never added`);
        else if (added < c.i) v.push(`item ${id} added before its commit`);
      }
      return outcome(commits.length > 0, v);
    },
  },
  {
    name: 'user turn in the conversation before its response',
    description:
      "After speech_stopped, the next response.created comes after that turn's user item is added.",
    check: (s) => {
      const ins = inbound(s);
      const v: string[] = [];
      let any = false;
      for (const x of ins.filter((y) => y.ga === 'input_audio_buffer.speech_stopped')) {
        const id = itemOf(x);
        const response = firstIndex(ins, (y) => y.i > x.i && y.ga === 'response.created');
        if (response === undefined) continue;
        any = true;
        const added = firstIndex(ins, (y) => y.ga === 'conversation.item.added' && itemOf(y) === id);
        if (added === undefined || added > response)
          v.push(`response.created before user item ${id} was added`);
      }
      return outcome(any, v);
    },
  },
  {
    name: 'input transcription after its turn starts, deltas before completed',
    description:
      'Transcription events name an item the server announced (speech_started or committed) and no delta follows completed.',
    check: (s) => {
      const ins = inbound(s);
      const known = new Set<string>();
      const completed = new Set<string>();
      const v: string[] = [];
      let any = false;
      for (const x of ins) {
        const id = itemOf(x) ?? '';
        if (x.ga === 'input_audio_buffer.speech_started' || x.ga === 'input_audio_buffer.committed')
          known.add(id);
        if (!x.ga.startsWith('conversation.item.input_audio_transcription.')) continue;
        any = true;
        if (!known.has(id)) v.push(`${x.ga} for ${id} before the server announced the item`);
        if (completed.has(id)) v.push(`${x.ga} for ${id} after completed`);
        if (x.ga.endsWith('.completed')) completed.add(id);
      }
      return outcome(any, v);
    },
  },
  {
    name: 'no audio delta after speech_started of a barge-in',
    description:
      'With interrupt_response on, a response running when speech starts sends no further audio or transcript delta.',
    check: (s) => {
      const v: string[] = [];
      let any = false;
      let interrupt = true;
      const active = new Set<string>();
      const interrupted = new Set<string>();
      for (const x of inbound(s)) {
        if (x.ga === 'session.updated' || x.ga === 'session.created') {
          const sess = x.e.session as E;
          const td =
            ((sess.audio as E | undefined)?.input as E | undefined)?.turn_detection ?? sess.turn_detection;
          interrupt = (td as E | null | undefined)?.interrupt_response !== false;
        }
        const r = responseOf(x) ?? '';
        if (x.ga === 'response.created') active.add(r);
        if (x.ga === 'response.done') active.delete(r);
        if (x.ga === 'input_audio_buffer.speech_started' && interrupt && active.size) {
          any = true;
          for (const a of active) interrupted.add(a);
        }
        if (
          (x.ga === 'response.output_audio.delta' || x.ga === 'response.output_audio_transcript.delta') &&
          interrupted.has(r)
        )
          v.push(`${x.ga} of ${r} after speech_started`);
      }
      return outcome(any, v);
    },
  },
  {
    name: 'a barge-in cancels with turn_detected',
    description:
      'A response running when speech starts (interrupt_response on) ends cancelled, reason turn_detected.',
    check: (s) => {
      const ins = inbound(s);
      const v: string[] = [];
      let any = false;
      const active = new Set<string>();
      for (const x of ins) {
        const r = responseOf(x) ?? '';
        if (x.ga === 'response.created') active.add(r);
        if (x.ga === 'response.done') active.delete(r);
        if (x.ga !== 'input_audio_buffer.speech_started' || !active.size) continue;
        for (const a of active) {
          any = true;
          const done = ins.find((y) => y.i > x.i && y.ga === 'response.done' && responseOf(y) === a);
          const resp = done?.e.response as E | undefined;
          const reason = (resp?.status_details as E | undefined)?.reason;
          if (resp?.status !== 'cancelled' || reason !== 'turn_detected')
            v.push(`response ${a} ended ${String(resp?.status)} (${String(reason)})`);
        }
      }
      return outcome(any, v);
    },
  },
  {
    name: 'function call arguments: deltas, then done, then item done',
    description:
      'function_call_arguments deltas add up to the done arguments, which come before output_item.done and match its item.',
    check: (s) => {
      const ins = inbound(s);
      const v: string[] = [];
      const calls = ins.filter(
        (x) => x.ga === 'response.output_item.added' && (x.e.item as E).type === 'function_call',
      );
      for (const c of calls) {
        const id = itemOf(c);
        const mine = ins.filter((y) => itemOf(y) === id);
        const deltas = mine.filter((y) => y.ga === 'response.function_call_arguments.delta');
        const done = mine.find((y) => y.ga === 'response.function_call_arguments.done');
        const itemDone = mine.find((y) => y.ga === 'response.output_item.done');
        if (!done || !itemDone) {
          v.push(`function call ${id} lacks arguments.done or output_item.done`);
          continue;
        }
        if (deltas.some((d) => d.i > done.i)) v.push(`argument delta after arguments.done (${id})`);
        if (done.i > itemDone.i) v.push(`arguments.done after output_item.done (${id})`);
        const joined = deltas.map((d) => String(d.e.delta)).join('');
        if (joined !== done.e.arguments)
          v.push(`deltas "${joined}" != done arguments "${String(done.e.arguments)}"`);
        if ((itemDone.e.item as E).arguments !== done.e.arguments)
          v.push(`item arguments differ from arguments.done (${id})`);
      }
      return outcome(calls.length > 0, v);
    },
  },
  {
    name: 'text and transcript dones equal their deltas',
    description:
      'output_text.done.text and output_audio_transcript.done.transcript are the concatenation of their deltas.',
    check: (s) => {
      const acc = new Map<string, string>();
      const v: string[] = [];
      let any = false;
      for (const x of inbound(s)) {
        const key = `${x.ga.replace(/\.(delta|done)$/, '')}/${itemOf(x)}/${String(x.e.content_index)}`;
        if (x.ga === 'response.output_text.delta' || x.ga === 'response.output_audio_transcript.delta')
          acc.set(key, (acc.get(key) ?? '') + String(x.e.delta));
        else if (x.ga === 'response.output_text.done' || x.ga === 'response.output_audio_transcript.done') {
          any = true;
          const full = x.ga === 'response.output_text.done' ? x.e.text : x.e.transcript;
          if ((acc.get(key) ?? '') !== full)
            v.push(`${x.ga}: "${String(full)}" != deltas "${acc.get(key) ?? ''}"`);
        }
      }
      return outcome(any, v);
    },
  },
  {
    name: "error names the client's event_id",
    description: "An error's error.event_id is null or the event_id of an event the client sent.",
    check: (s) => {
      const sent = new Set<string>();
      const v: string[] = [];
      let any = false;
      for (const r of s) {
        if (r.dir === 'out' && typeof r.e.event_id === 'string') sent.add(r.e.event_id);
        if (r.dir === 'in' && r.ga === 'error') {
          any = true;
          const id = (r.e.error as E | undefined)?.event_id;
          if (id !== null && id !== undefined && !sent.has(String(id)))
            v.push(`error names unknown event_id ${String(id)}`);
        }
      }
      return outcome(any, v);
    },
  },
  {
    name: 'conversation.item.truncated answers a truncate',
    description:
      'conversation.item.truncated follows a conversation.item.truncate of the same item and audio_end_ms.',
    check: (s) => {
      const asked: E[] = [];
      const v: string[] = [];
      let any = false;
      for (const r of s) {
        if (r.dir === 'out' && r.type === 'conversation.item.truncate') asked.push(r.e);
        if (r.dir === 'in' && r.ga === 'conversation.item.truncated') {
          any = true;
          if (!asked.some((a) => a.item_id === r.e.item_id && a.audio_end_ms === r.e.audio_end_ms))
            v.push(
              `truncated ${String(r.e.item_id)} at ${String(r.e.audio_end_ms)} without a matching truncate`,
            );
        }
      }
      return outcome(any, v);
    },
  },
];

/** Runs every rule on one stream. */
export function checkRules(stream: Recorded[], dialect: Dialect): Map<string, RuleOutcome> {
  return new Map(RULES.map((r) => [r.name, r.check(stream, dialect)]));
}
