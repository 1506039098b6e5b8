/**
 * The conformance kit: runs the Realtime protocol scenarios against any endpoint and prints a
 * pass/fail table per scenario and per ordering rule.
 *
 *   npm run conformance -- --url wss://HOST/v1/realtime --key KEY [--beta] [--json FILE]
 *     [--only NAME[,NAME]] [--skip NAME[,NAME]] [--profile gateway|openai] [--model NAME]
 *     [--ca FILE] [--timeout MS] [--limit NAME=VALUE]... [--no-vad] [--concurrency N] [--list]
 *
 * NAME is a scenario name or a prefix of one (`error`, `audio.barge-in`). A self-signed TLS
 * endpoint needs `--ca FILE` or NODE_EXTRA_CA_CERTS. Exits 1 when anything fails, 2 on bad usage.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_LIMITS, formatTables, runConformance, SCENARIOS } from './conformance/index.js';
import type { KitOptions, Limits, Profile } from './conformance/index.js';

/** Default wait for any one expected event: generous for real providers, short of hanging. */
const DEFAULT_STEP_TIMEOUT_MS = 15_000;
/** Scenarios at once: enough to overlap the real-time audio ones, few enough for a small machine. */
const DEFAULT_CONCURRENCY = 8;

function usage(message: string): never {
  console.error(
    `conformance: ${message}\nusage: npm run conformance -- --url wss://HOST/v1/realtime --key KEY [--beta] [--json FILE] [--only NAME] [--profile gateway|openai] ...`,
  );
  process.exit(2);
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) usage(`${name} needs a positive integer, got ${value}`);
  return n;
}

const list = (values: string[] | undefined) => (values ?? []).flatMap((v) => v.split(',')).filter(Boolean);

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        url: { type: 'string' },
        key: { type: 'string' },
        beta: { type: 'boolean', default: false },
        json: { type: 'string' },
        only: { type: 'string', multiple: true },
        skip: { type: 'string', multiple: true },
        profile: { type: 'string', default: 'gateway' },
        model: { type: 'string', default: 'gpt-realtime' },
        ca: { type: 'string' },
        timeout: { type: 'string' },
        limit: { type: 'string', multiple: true },
        'no-vad': { type: 'boolean', default: false },
        concurrency: { type: 'string' },
        list: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (err) {
    usage((err as Error).message);
  }
})();

if (values.list) {
  for (const s of SCENARIOS) console.log(`${s.name.padEnd(52)} ${s.scope.padEnd(8)} ${s.description}`);
  process.exit(0);
}
if (!values.url) usage('--url is required');
if (!/^wss?:\/\//.test(values.url)) usage('--url must start with ws:// or wss://');
if (!values.key) usage('--key is required (any string for a gateway that checks no keys)');
if (values.profile !== 'gateway' && values.profile !== 'openai') usage('--profile is gateway or openai');

const limits: Limits = { ...DEFAULT_LIMITS };
for (const l of list(values.limit)) {
  const [name, value] = l.split('=');
  if (!name || !(name in limits)) usage(`--limit ${l}: names are ${Object.keys(limits).join(', ')}`);
  limits[name as keyof Limits] = positiveInt(`--limit ${name}`, value, 0);
}
const known = (n: string) =>
  SCENARIOS.some((s) => s.name === n || s.name.startsWith(`${n.replace(/\.$/, '')}.`));
for (const n of [...list(values.only), ...list(values.skip)])
  if (!known(n)) usage(`no scenario matches ${n} (see --list)`);

const options: KitOptions = {
  endpoint: {
    url: values.url,
    key: values.key,
    dialect: values.beta ? 'beta' : 'ga',
    model: values.model,
    ...(values.ca ? { ca: readFileSync(values.ca) } : {}),
    stepTimeoutMs: positiveInt('--timeout', values.timeout, DEFAULT_STEP_TIMEOUT_MS),
  },
  profile: values.profile as Profile,
  limits,
  vad: !values['no-vad'],
  only: list(values.only),
  skip: list(values.skip),
  concurrency: positiveInt('--concurrency', values.concurrency, DEFAULT_CONCURRENCY),
};

const report = await runConformance(options);
console.log(formatTables(report));
if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
process.exit(report.summary.failed > 0 || report.summary.rulesFailed > 0 ? 1 : 0);
