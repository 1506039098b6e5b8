/**
 * CPU per streamed LLM reply of one LLM adapter (Groq's by default) over Node's own fetch (undici)
 * and over the adapters' `node:http` fetch (src/providers/llm-common/node-fetch.ts), against the
 * provider's emulator in its own process at its default latency profile (first token 220 ms, 60
 * tokens/s, each token its own network read, as in the capacity benchmark). This process runs
 * only the adapters, so its CPU is theirs. Rounds alternate the two transports; medians are printed.
 *
 *   npm run bench:llm -- [--provider groq|cerebras|anthropic] [--streams 50] [--replies 600] [--rounds 3]
 */
import { AnthropicLlm } from '../src/providers/anthropic/anthropic-llm.js';
import { CerebrasLlm } from '../src/providers/cerebras/cerebras-llm.js';
import { GroqLlm } from '../src/providers/groq/groq-llm.js';
import type { FetchFunction } from '../src/providers/llm-common/node-fetch.js';
import type { LlmAdapterOptions } from '../src/providers/llm-common/stream-guard.js';
import type { LlmRequest, LlmStage } from '../src/providers/types.js';
import { Args } from './capacity/harness.js';
import { startEmulators } from './capacity/processes.js';
import { percentile } from './capacity/stats.js';

const USAGE =
  'usage: npm run bench:llm -- [--provider groq|cerebras|anthropic] [--streams 50] [--replies 600] [--rounds 3]';
const args = Args.parse(USAGE);
/** Each adapter with its SDK and the emulator it is measured against. */
const PROVIDERS = {
  groq: { sdk: 'groq-sdk', make: (o: LlmAdapterOptions) => new GroqLlm(o) },
  cerebras: { sdk: '@cerebras/cerebras_cloud_sdk', make: (o: LlmAdapterOptions) => new CerebrasLlm(o) },
  anthropic: { sdk: '@anthropic-ai/sdk', make: (o: LlmAdapterOptions) => new AnthropicLlm(o) },
};
const PROVIDER = args.string('--provider', 'groq') as keyof typeof PROVIDERS;
if (!Object.hasOwn(PROVIDERS, PROVIDER))
  throw new Error(`--provider must be one of ${Object.keys(PROVIDERS).join(', ')}`);
const { sdk: SDK, make } = PROVIDERS[PROVIDER];
const STREAMS = args.number('--streams', 50);
const REPLIES = args.number('--replies', 600);
const ROUNDS = args.number('--rounds', 3);
args.finish(USAGE);

/** A turn deep into a call: ten earlier messages, as the gateway sends them. */
const REQUEST: LlmRequest = {
  instructions: 'You are a helpful voice assistant. Answer in one or two short sentences.',
  messages: Array.from({ length: 11 }, (_, i) =>
    i % 2 === 0
      ? { role: 'user' as const, content: 'I would like a table for two tomorrow at seven in the evening.' }
      : { role: 'assistant' as const, content: 'You said: I would like a table for two tomorrow at seven.' },
  ),
  tools: [],
  toolChoice: 'auto',
  maxOutputTokens: null,
};

const TRANSPORTS: { name: string; fetch?: FetchFunction }[] = [
  { name: "Node's fetch (undici)", fetch: (input, init) => fetch(input, init) },
  { name: 'node:http (default)' },
];

async function reply(llm: LlmStage): Promise<number> {
  let tokens = 0;
  for await (const event of llm.generate(REQUEST, new AbortController().signal)) {
    if (event.type === 'text') tokens++;
  }
  return tokens;
}

/** CPU ms per reply for `REPLIES` replies, `STREAMS` at a time. */
async function measure(llm: LlmStage): Promise<{ msPerReply: number; tokens: number; seconds: number }> {
  // One reply per stream first, all at once: both transports then measure warm code and as many
  // open sockets as streams.
  await Promise.all(Array.from({ length: STREAMS }, () => reply(llm)));
  let started = 0;
  let tokens = 0;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: STREAMS }, async () => {
      while (started < REPLIES) {
        started++;
        const n = await reply(llm);
        tokens += n;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return {
    msPerReply: (used.user + used.system) / 1000 / REPLIES,
    tokens: tokens / REPLIES,
    seconds: (performance.now() - t0) / 1000,
  };
}

const emulators = await startEmulators();
try {
  console.log(
    `${SDK} streamed replies against the ${PROVIDER} emulator: ${STREAMS} at a time, ${REPLIES} per round, ${ROUNDS} rounds`,
  );
  const results = new Map<string, number[]>(TRANSPORTS.map((t) => [t.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const t of TRANSPORTS) {
      const llm = make({
        apiKey: 'bench-key',
        baseUrl: emulators.urls[PROVIDER],
        fetch: t.fetch,
      });
      const r = await measure(llm);
      results.get(t.name)!.push(r.msPerReply);
      console.log(
        `round ${round}  ${t.name.padEnd(22)} ${r.msPerReply.toFixed(3)} ms CPU per reply (${r.tokens.toFixed(1)} tokens, ${r.seconds.toFixed(1)} s)`,
      );
    }
  }
  console.log('\n| transport | CPU ms per reply, median | rounds |\n|---|---|---|');
  for (const [name, xs] of results) {
    console.log(
      `| ${name} | ${percentile(xs, 0.5)!.toFixed(3)} | ${xs.map((x) => x.toFixed(3)).join(', ')} |`,
    );
  }
} finally {
  await emulators.stop();
}
