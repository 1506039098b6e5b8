/**
 * Turns one inbound text frame into a typed client event, or into the Realtime error that answers
 * it. Never throws: every failure becomes an error body carrying the client's `event_id`.
 */
import type { z } from 'zod';
import { BETA_CLIENT_EVENT_SCHEMAS, CLIENT_EVENT_SCHEMAS, MAX_EVENT_ID_LENGTH } from './client-events.js';
import type { BetaClientEvent, ClientEvent } from './client-events.js';
import { INTEGER_RANGE } from './common.js';
import { errorBody } from './errors.js';
import type { ErrorCode, RealtimeErrorBody } from './errors.js';

/**
 * Deepest nesting an event may have. Real events (tool schemas included) stay far below it; deeper
 * JSON would be accepted by the schemas' open records and then overflow the stack when echoed.
 */
export const MAX_JSON_DEPTH = 64;

/** The two wire dialects. */
export type Dialect = 'ga' | 'beta';

/** Result of parsing one frame. */
export type ParseResult<E> = { ok: true; event: E } | { ok: false; error: RealtimeErrorBody };

/** Parses a GA client event. */
export function parseClientEvent(text: string): ParseResult<ClientEvent> {
  return parseWith(text, CLIENT_EVENT_SCHEMAS) as ParseResult<ClientEvent>;
}

/** Parses a beta client event (translate it to GA with `dialect.ts` afterwards). */
export function parseBetaClientEvent(text: string): ParseResult<BetaClientEvent> {
  return parseWith(text, BETA_CLIENT_EVENT_SCHEMAS) as ParseResult<BetaClientEvent>;
}

function parseWith(text: string, schemas: Record<string, z.ZodType>): ParseResult<unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: errorBody('invalid_json') };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, error: errorBody('invalid_event', { message: 'The event must be a JSON object.' }) };
  }
  const raw = json as Record<string, unknown>;
  const eventId = typeof raw.event_id === 'string' ? raw.event_id : null;
  if (deeperThan(raw, MAX_JSON_DEPTH)) {
    return {
      ok: false,
      error: errorBody('invalid_event', {
        message: `The event is nested deeper than ${MAX_JSON_DEPTH} levels.`,
        eventId,
      }),
    };
  }
  if (!('type' in raw)) {
    return {
      ok: false,
      error: errorBody('invalid_event', { message: "The 'type' field is missing.", param: 'type', eventId }),
    };
  }
  if (typeof raw.type !== 'string') {
    return {
      ok: false,
      error: errorBody('invalid_type', {
        message: "The 'type' field must be a string.",
        param: 'type',
        eventId,
      }),
    };
  }
  const schema = Object.hasOwn(schemas, raw.type) ? schemas[raw.type] : undefined;
  if (schema && raw.type === APPEND) {
    const fast = plainAppend(raw);
    if (fast) return { ok: true, event: fast };
  }
  if (!schema) {
    return {
      ok: false,
      error: errorBody('invalid_value', {
        message: `Invalid value: '${clip(raw.type)}'. Supported values are: ${Object.keys(schemas)
          .map((t) => `'${t}'`)
          .join(', ')}.`,
        param: 'type',
        eventId,
      }),
    };
  }
  try {
    const parsed = schema.safeParse(raw, { reportInput: true });
    if (parsed.success) return { ok: true, event: parsed.data };
    return { ok: false, error: issueToError(parsed.error.issues[0], eventId) };
  } catch {
    // Last line of the never-throws promise: an issue shape this mapping did not foresee.
    return { ok: false, error: errorBody('invalid_event', { eventId }) };
  }
}

const APPEND = 'input_audio_buffer.append';

/**
 * The hottest event (50 a second per session) without the schema walk: a well-formed append
 * gives the same event as the schema would; anything else returns null and takes the schema path,
 * which then finds the error. `test/protocol/parse-fast-path.test.ts` holds the two paths equal.
 */
export function plainAppend(
  raw: Record<string, unknown>,
): { type: typeof APPEND; event_id?: string; audio: string } | null {
  let keys = 0;
  for (const k in raw) {
    if (k !== 'type' && k !== 'event_id' && k !== 'audio') return null;
    keys++;
  }
  if (typeof raw.audio !== 'string') return null;
  if (raw.event_id === undefined) return keys === 2 ? { type: APPEND, audio: raw.audio } : null;
  if (typeof raw.event_id !== 'string' || raw.event_id.length > MAX_EVENT_ID_LENGTH) return null;
  return { type: APPEND, event_id: raw.event_id, audio: raw.audio };
}

/** The zod issue fields this mapping reads (zod 4 issue shapes). */
interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  input?: unknown;
  keys?: string[];
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  values?: unknown[];
  note?: string;
  discriminator?: string;
  errors?: Issue[][];
  expected?: string;
}

/** Maps the first zod issue to the Realtime error code OpenAI uses for the same mistake. */
export function issueToError(issue: Issue | undefined, eventId: string | null): RealtimeErrorBody {
  if (!issue) return errorBody('invalid_event', { eventId });
  const param = formatPath(issue.path);
  const at = (code: ErrorCode, message: string, p: string = param) =>
    errorBody(code, { message, param: p || null, eventId });
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys?.[0] ?? '';
      const p = formatPath([...issue.path, key]);
      return at('unknown_parameter', `Unknown parameter: '${p}'.`, p);
    }
    case 'invalid_type':
      if (!('input' in issue) || issue.input === undefined) {
        return at('missing_required_parameter', `Missing required parameter: '${param}'.`);
      }
      return at(
        'invalid_type',
        `Invalid type for '${param}': expected ${issue.expected ?? 'another type'}, but got ${describe(issue.input)}.`,
      );
    case 'invalid_value':
      return at(
        'invalid_value',
        `Invalid value: ${clip(JSON.stringify(issue.input))}. Supported values are: ${(issue.values ?? []).map((v) => JSON.stringify(v)).join(', ')}.`,
      );
    case 'too_small':
    case 'too_big':
      return rangeError(issue, at);
    case 'invalid_union':
      return unionError(issue, eventId);
    default:
      return at('invalid_value', `Invalid value for '${param}': ${issue.message}`);
  }
}

function rangeError(
  issue: Issue,
  at: (code: ErrorCode, message: string) => RealtimeErrorBody,
): RealtimeErrorBody {
  const small = issue.code === 'too_small';
  const bound = small ? issue.minimum : issue.maximum;
  const param = formatPath(issue.path);
  if (issue.origin === 'number') {
    const int = issue.message === INTEGER_RANGE;
    const code: ErrorCode = int
      ? small
        ? 'integer_below_min_value'
        : 'integer_above_max_value'
      : small
        ? 'decimal_below_min_value'
        : 'decimal_above_max_value';
    return at(
      code,
      `Invalid '${param}': ${small ? 'minimum' : 'maximum'} value is ${String(bound)}, got ${String(issue.input)}.`,
    );
  }
  if (issue.origin === 'array' || issue.origin === 'set') {
    return at(
      small ? 'array_below_min_length' : 'array_above_max_length',
      `Invalid '${param}': array must hold ${small ? 'at least' : 'at most'} ${String(bound)} items.`,
    );
  }
  if (issue.origin === 'string') {
    return small
      ? at('invalid_value', `Invalid '${param}': string must not be empty.`)
      : at('string_above_max_length', `Invalid '${param}': string longer than ${String(bound)} characters.`);
  }
  return at('invalid_value', `Invalid '${param}': ${issue.message}`);
}

function unionError(issue: Issue, eventId: string | null): RealtimeErrorBody {
  const param = formatPath(issue.path);
  if (issue.discriminator) {
    // zod reports the discriminator's own path; tell "missing" from "not one of".
    const parent = issue.input as Record<string, unknown> | undefined;
    const isObject = typeof parent === 'object' && parent !== null && !Array.isArray(parent);
    if (!isObject) {
      const p = formatPath(issue.path.slice(0, -1));
      return errorBody('invalid_type', {
        message: `Invalid type for '${p}': expected an object.`,
        param: p,
        eventId,
      });
    }
    if (!(issue.discriminator in parent)) {
      return errorBody('missing_required_parameter', {
        message: `Missing required parameter: '${param}'.`,
        param,
        eventId,
      });
    }
    return errorBody('invalid_value', {
      message: `Invalid value: ${clip(JSON.stringify(parent[issue.discriminator]))}. Supported values are: ${((issue as { options?: unknown[] }).options ?? []).map((o) => `'${String(o)}'`).join(', ')}.`,
      param,
      eventId,
    });
  }
  // Plain unions: report the branch that got furthest (the deepest path), else a type error.
  const branches = issue.errors ?? [];
  let best: Issue | undefined;
  for (const branch of branches) {
    const first = branch[0];
    if (first && (!best || first.path.length > best.path.length)) best = first;
  }
  if (best && best.path.length > 0) {
    return issueToError({ ...best, path: [...issue.path, ...best.path] }, eventId);
  }
  return errorBody('invalid_value', {
    message: `Invalid value for '${param}'.`,
    param: param || null,
    eventId,
  });
}

/** Whether `value` nests objects or arrays more than `max` levels deep (iterative: no recursion). */
function deeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(v))
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

/** `session.tools[0].name` style, as OpenAI reports `param`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function clip(s: string | undefined, max = 80): string {
  const text = String(s);
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
