/**
 * Measures the delay an LLM fallback adds: from Groq's failure (5xx, 429, or a stall caught by
 * the first-token deadline) to the next provider's first token, through the real SDKs and the
 * emulators at their default latency profile (first token 220 ms, 60 tokens/s).
 *
 *   npx tsx scripts/bench-fallback.ts [--runs 30] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import {
  startAnthropicEmulator,
  startCerebrasEmulator,
  startGroqEmulator,
} from '../src/emulators/llm/index.js';
import type { Fault } from '../src/emulators/types.js';
import { AnthropicLlm } from '../src/providers/anthropic/anthropic-llm.js';
import { CerebrasLlm } from '../src/providers/cerebras/cerebras-llm.js';
import { GroqLlm } from '../src/providers/groq/groq-llm.js';
import { DEFAULT_FIRST_TOKEN_DEADLINE_MS, FallbackLlm } from '../src/providers/llm-fallback/fallback-llm.js';
import type { LlmRequest } from '../src/providers/types.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const RUNS = Number(arg('runs') ?? 30);
const JSON_FILE = arg('json');
const KEY = 'bench-key';

const REQUEST: LlmRequest = {
  instructions: 'Be brief.',
  messages: [{ role: 'user', content: 'tell me something about the sea' }],
  tools: [],
  toolChoice: 'auto',
  maxOutputTokens: null,
};

interface Case {
  name: string;
  groq: Fault | null;
  cerebras?: Fault | null;
}

const CASES: Case[] = [
  { name: 'baseline (no failure)', groq: null },
  { name: 'groq 500', groq: { kind: 'http_error', status: 500 } },
  { name: 'groq 429 (retry-after 5)', groq: { kind: 'http_error', status: 429, retryAfterSeconds: 5 } },
  { name: 'groq stall after headers', groq: { kind: 'stall_after_headers' } },
  {
    name: 'groq 503 + cerebras 429 -> anthropic',
    groq: { kind: 'http_error', status: 503 },
    cerebras: { kind: 'http_error', status: 429 },
  },
];

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[at]!;
}

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    min: sorted[0] ?? NaN,
    max: sorted.at(-1) ?? NaN,
  };
}

const [groq, cerebras, anthropic] = await Promise.all([
  startGroqEmulator({ apiKey: KEY }),
  startCerebrasEmulator({ apiKey: KEY }),
  startAnthropicEmulator({ apiKey: KEY }),
]);

let served = '';
let firstTokenMs = NaN;
let lastFailureMs = NaN;
// No circuit breakers: every run must go through the failure it measures.
const llm = new FallbackLlm({
  providers: [
    { name: 'groq', stage: new GroqLlm({ apiKey: KEY, baseUrl: groq.baseUrl }) },
    { name: 'cerebras', stage: new CerebrasLlm({ apiKey: KEY, baseUrl: cerebras.baseUrl }) },
    { name: 'anthropic', stage: new AnthropicLlm({ apiKey: KEY, baseUrl: anthropic.baseUrl }) },
  ],
  onServed: (name, info) => {
    served = name;
    firstTokenMs = info.firstTokenMs;
  },
  onFallback: (a) => {
    lastFailureMs = a.elapsedMs;
  },
});

/** One generation, stopped at its first token (the rest of the stream does not matter here). */
async function once(c: Case): Promise<{ served: string; firstTokenMs: number; failureMs: number }> {
  groq.setFault(c.groq, 1);
  cerebras.setFault(c.cerebras ?? null, 1);
  served = '';
  firstTokenMs = NaN;
  lastFailureMs = NaN;
  const ac = new AbortController();
  for await (const e of llm.generate(REQUEST, ac.signal)) {
    if (e.type === 'text' || e.type === 'tool_call') ac.abort();
  }
  return { served, firstTokenMs, failureMs: lastFailureMs };
}

console.log(
  `LLM fallback delay, ${RUNS} runs per case; emulators at 220 ms first token, 60 tokens/s; first-token deadline ${DEFAULT_FIRST_TOKEN_DEADLINE_MS} ms`,
);
// Warm-up: first requests pay module loading and connection set-up.
for (const c of CASES) await once(c);

const results: Record<string, unknown> = {};
const header = `${'case'.padEnd(40)}${'served by'.padEnd(11)}${'failure->next token ms (median / p95)'.padEnd(40)}first token ms (median / p95)`;
console.log(header);
console.log('-'.repeat(header.length));
for (const c of CASES) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once(c));
  const servedBy = [...new Set(runs.map((r) => r.served))].join(',');
  const total = summary(runs.map((r) => r.firstTokenMs));
  const added = c.groq ? summary(runs.map((r) => r.firstTokenMs - r.failureMs)) : null;
  const failure = c.groq ? summary(runs.map((r) => r.failureMs)) : null;
  results[c.name] = {
    servedBy,
    firstTokenMs: total,
    failureToNextFirstTokenMs: added,
    failureDetectedMs: failure,
  };
  const fmt = (s: { median: number; p95: number } | null) =>
    s ? `${s.median.toFixed(1)} / ${s.p95.toFixed(1)}` : '-';
  console.log(`${c.name.padEnd(40)}${servedBy.padEnd(11)}${fmt(added).padEnd(40)}${fmt(total)}`);
}

await Promise.all([groq.close(), cerebras.close(), anthropic.close()]);
if (JSON_FILE) {
  writeFileSync(
    JSON_FILE,
    `${JSON.stringify({ runs: RUNS, deadlineMs: DEFAULT_FIRST_TOKEN_DEADLINE_MS, node: process.version, results }, null, 2)}\n`,
  );
  console.log(`wrote ${JSON_FILE}`);
}
