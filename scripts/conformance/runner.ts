/**
 * Runs scenarios against an endpoint: each gets its own connections, its expectations are checked
 * as it goes, and afterwards every rule is checked on each connection's recorded stream.
 * Independent scenarios run concurrently.
 */
import { performance } from 'node:perf_hooks';
import { KitClient, KitFailure } from './client.js';
import type { ConnectOptions, Endpoint, Recorded } from './client.js';
import { sessionUpdate } from './dialect.js';
import type { Dialect, SessionSettings } from './dialect.js';
import { checkRules, RULES } from './rules.js';

/** Server limits the limit-driven error scenarios need (the gateway's documented defaults). */
export const DEFAULT_LIMITS = {
  MAX_INPUT_AUDIO_BUFFER_MS: 300_000,
  MAX_CONVERSATION_ITEMS: 2_000,
  MAX_CONCURRENT_RESPONSES: 4,
  MAX_MESSAGE_BYTES: 25_165_824,
  MAX_SESSION_DURATION_MS: 3_600_000,
  // The model's context in tokens (the gateway's LLM_CONTEXT_TOKENS; OpenAI documents 32k for its
  // realtime models): the truncation scenarios fill a conversation past it.
  LLM_CONTEXT_TOKENS: 32_768,
};
export type Limits = typeof DEFAULT_LIMITS;

/**
 * `gateway`: every scenario. `openai`: codes and behaviours this gateway defines beyond what
 * OpenAI is known to send are skipped, so another server is judged only on the shared protocol.
 */
export type Profile = 'gateway' | 'openai';

/** Everything a run needs. */
export interface KitOptions {
  endpoint: Endpoint;
  profile: Profile;
  limits: Limits;
  /** Whether the server runs turn detection (false: VAD scenarios skipped, turn_detection_unavailable run). */
  vad: boolean;
  /** Scenario names or name prefixes to run (all when empty). */
  only: string[];
  /** Scenario names or name prefixes to leave out. */
  skip: string[];
  /** Scenarios running at once. */
  concurrency: number;
}

/** Thrown to skip a scenario, with the reason. */
export class KitSkip extends Error {}

/** What a scenario can do. */
export interface ScenarioContext {
  readonly options: KitOptions;
  readonly dialect: Dialect;
  /** Opens a recorded connection. */
  connect(opts?: ConnectOptions): Promise<KitClient>;
  /** Opens a connection, waits for session.created, and applies `settings` if given. */
  session(settings?: SessionSettings, opts?: ConnectOptions): Promise<KitClient>;
}

/** Fails the running scenario with `message` unless `ok`. */
export function check(ok: unknown, message: string): asserts ok {
  if (!ok) throw new KitFailure(message);
}

/** One scenario. */
export interface Scenario {
  name: string;
  description: string;
  /** `any`: every Realtime server; `gateway`: behaviour or codes this gateway defines. */
  scope: 'any' | 'gateway';
  /** A reason not to run on these options, or null. */
  skipReason?(options: KitOptions): string | null;
  run(ctx: ScenarioContext): Promise<void>;
}

/** Per-rule verdict in one scenario. */
export type RuleVerdict = 'pass' | 'fail' | 'n/a';

/** One scenario's result. */
export interface ScenarioResult {
  name: string;
  scope: 'any' | 'gateway';
  status: 'pass' | 'fail' | 'skip';
  durationMs: number;
  /** Failed expectations and rule violations. */
  failures: string[];
  skipReason?: string;
  /** Events recorded, both directions, all connections. */
  events: number;
  rules: Record<string, RuleVerdict>;
}

/** A scenario's hard limit, whatever its steps do: a hung scenario must not hang the run. */
const SCENARIO_TIMEOUT_STEPS = 8;

function matches(name: string, patterns: string[]): boolean {
  return patterns.some((p) => name === p || name.startsWith(p.endsWith('.') ? p : `${p}.`));
}

/** Whether a scenario is selected by --only / --skip. */
export function selected(s: Scenario, o: KitOptions): boolean {
  return (o.only.length === 0 || matches(s.name, o.only)) && !matches(s.name, o.skip);
}

/** Runs one scenario and judges its streams. */
export async function runScenario(s: Scenario, options: KitOptions): Promise<ScenarioResult> {
  const t0 = performance.now();
  const clients: KitClient[] = [];
  const base = { name: s.name, scope: s.scope };
  const reason =
    s.skipReason?.(options) ??
    (options.profile === 'openai' && s.scope === 'gateway' ? 'gateway-specific (--profile openai)' : null);
  if (reason)
    return { ...base, status: 'skip', durationMs: 0, failures: [], skipReason: reason, events: 0, rules: {} };
  const ep = options.endpoint;
  const ctx: ScenarioContext = {
    options,
    dialect: ep.dialect,
    connect: async (opts) => {
      const c = await KitClient.connect(ep, t0, opts);
      clients.push(c);
      return c;
    },
    session: async (settings, opts) => {
      const c = await ctx.connect(opts);
      await c.next('session.created');
      if (settings) {
        c.send(sessionUpdate(ep.dialect, settings));
        await c.next('session.updated');
      }
      return c;
    },
  };
  const failures: string[] = [];
  let skipReason: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      s.run(ctx),
      new Promise((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new KitFailure(`scenario timed out after ${SCENARIO_TIMEOUT_STEPS * ep.stepTimeoutMs} ms`),
            ),
          SCENARIO_TIMEOUT_STEPS * ep.stepTimeoutMs,
        );
      }),
    ]);
  } catch (err) {
    if (err instanceof KitSkip) skipReason = err.message;
    else
      failures.push(
        err instanceof KitFailure ? err.message : `error: ${(err as Error).stack ?? String(err)}`,
      );
  } finally {
    clearTimeout(timer);
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  }
  const rules: Record<string, RuleVerdict> = Object.fromEntries(
    RULES.map((r) => [r.name, 'n/a' as RuleVerdict]),
  );
  for (const c of clients) {
    for (const [name, o] of checkRules(c.log, ep.dialect)) {
      if (o.violations.length) {
        rules[name] = 'fail';
        failures.push(...o.violations.map((v) => `rule "${name}": ${v}`));
      } else if (o.applicable && rules[name] === 'n/a') rules[name] = 'pass';
    }
  }
  const status = skipReason !== undefined ? 'skip' : failures.length ? 'fail' : 'pass';
  return {
    ...base,
    status,
    durationMs: Math.round(performance.now() - t0),
    failures,
    ...(skipReason !== undefined ? { skipReason } : {}),
    events: clients.reduce((n, c) => n + c.log.length, 0),
    rules,
  };
}

/** Runs the selected scenarios, `options.concurrency` at a time, results in scenario order. */
export async function runScenarios(
  scenarios: Scenario[],
  options: KitOptions,
  onResult: (r: ScenarioResult) => void = () => undefined,
): Promise<ScenarioResult[]> {
  const chosen = scenarios.filter((s) => selected(s, options));
  const results: ScenarioResult[] = new Array(chosen.length);
  let next = 0;
  const worker = async () => {
    while (next < chosen.length) {
      const i = next++;
      results[i] = await runScenario(chosen[i]!, options);
      onResult(results[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return results;
}

/** Exposed for unit tests of the rules: a stream as recorded. */
export type { Recorded };
