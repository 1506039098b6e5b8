/**
 * The only reader of `process.env`: parses the gateway's settings once, with defaults, and fails
 * with a message that says how to fix the problem.
 */
import { z } from 'zod';
import { DEFAULT_SESSION_LIMITS } from './session/limits.js';
import type { SessionLimits } from './session/limits.js';
import type { LogLevel } from './util/log.js';
import { DEFAULT_CALL_AGENT, agentLanguages, parseCallAgent, phoneSession } from './telephony/call-agent.js';
import { applySessionUpdate, defaultRealtimeSession } from './session/session-config.js';
import type { CallAgent } from './telephony/call-agent.js';
import { readFileSync } from 'node:fs';
import { DEFAULT_MAX_BATCH_WAIT_MS, DEFAULT_RELAXED_BATCH_WAIT_MS } from './providers/silero/silero-vad.js';

/** The gateway's settings. */
export interface GatewayConfig {
  port: number;
  host: string;
  tls: { certFile: string; keyFile: string } | null;
  /** Accepted client keys; empty: any key, allowed only on loopback. */
  apiKeys: string[];
  /** Allowed browser origins; empty: any. */
  allowedOrigins: string[];
  logLevel: LogLevel;
  /** Log transcripts, prompts and response text (a debugging aid; off in production). */
  logContent: boolean;
  /** `GET /metrics`: `auto` (a gateway key required when keys are configured), `public`, or `off`. */
  metrics: 'auto' | 'public' | 'off';
  /** Sessions one process holds at once. */
  maxSessions: number;
  /** Sessions one API key holds at once on this process; 0: only `maxSessions` applies. */
  maxSessionsPerKey: number;
  /** Event-loop utilization (0-1, over the last seconds) at which new sessions are refused; 0: never. */
  maxEventLoopUtilization: number;
  /** On SIGTERM, how long running responses may take to finish before every session is closed. */
  drainTimeoutMs: number;
  /** V8's old generation may grow this many percent past the live heap before a full GC; 0: V8 decides. */
  heapGrowingPercent: number;
  /** Start a response when silence begins, held back until the VAD confirms the turn. */
  speculativeTurnStart: boolean;
  /** Model name a session reports when its URL names none. */
  defaultModel: string;
  defaultVoice: string;
  defaultInstructions: string;
  limits: SessionLimits;
  providers: ProvidersConfig;
  telephony: TelephonyConfig;
}

/** Phone calls through Twilio Media Streams. */
export interface TelephonyConfig {
  /** Signs and checks Twilio's requests; null: the `/twilio/*` routes are off. */
  authToken: string | null;
  /** The gateway's externally visible base URL (https); null: taken from each request's headers. */
  publicUrl: string | null;
  /** Caller number prefixes to languages, longest prefix first. */
  languageByPrefix: [prefix: string, language: string][];
  /** The language of a caller no prefix matches. */
  defaultLanguage: string;
  agent: CallAgent;
  /** How long a call prepared by the voice webhook waits for its media stream. */
  prewarmTtlMs: number;
  /** How long a stream socket may stay silent before `start`; Twilio sends it at once. */
  startTimeoutMs: number;
}

/** Which provider set runs the sessions. */
export type ProvidersMode = 'cloud' | 'offline';

/** One provider's endpoint and model. */
export interface ProviderSettings {
  /** Null in offline mode, where the emulators take any key. */
  apiKey: string | null;
  /** Null: the SDK's default (the provider's cloud). */
  baseUrl: string | null;
  model: string;
}

/** The names the LLM fallback chain may hold. */
export const LLM_PROVIDERS = ['groq', 'cerebras', 'anthropic'] as const;
/** An LLM provider name. */
export type LlmProviderName = (typeof LLM_PROVIDERS)[number];

/** Provider settings, resolved from `GATEWAY_PROVIDERS` and the keys present. */
export interface ProvidersConfig {
  /** `cloud`: the real providers; `offline`: the built-in emulators on loopback. */
  mode: ProvidersMode;
  /** What was asked for (`auto` resolves by the keys present). */
  requested: 'auto' | 'cloud' | 'offline';
  /** Where Silero computes: a child process (keeps the event loop free) or the event loop's own thread. */
  vadHost: 'process' | 'caller';
  /** Longest a Silero window waits for other sessions' windows before a batch runs. */
  vadBatchWaitMs: number;
  /** Longest a window no turn can start or end on waits (at least `vadBatchWaitMs`). */
  vadRelaxedWaitMs: number;
  deepgram: ProviderSettings & { language: string };
  llm: Record<LlmProviderName, ProviderSettings>;
  /** The fallback chain, in order; in cloud mode only providers with a key. */
  llmOrder: LlmProviderName[];
  /** Time an LLM has to produce its first token before the chain tries the next. */
  llmFirstTokenDeadlineMs: number;
  /** A stream silent this long between tokens is abandoned (the SDKs' timeouts stop at the headers). */
  llmInterTokenTimeoutMs: number;
  /** Groq's base URL is an OpenAI-compatible server (vLLM, llama.cpp, Ollama) serving `/v1/...`. */
  groqOpenAiCompatible: boolean;
  cartesia: ProviderSettings & {
    defaultVoice: string | null;
    voiceMap: Record<string, string>;
    language: string;
    /** `cartesia-version`; null: the SDK's own. */
    version: string | null;
    /** Sonic-3 `generation_config.emotion`; null: the voice's own. */
    emotion: string | null;
    /** Voice ids by language (`es`), used when the user speaks a language other than `language`. */
    languageVoices: Record<string, string>;
  };
  /** Lines of `SIM_STT_SCRIPT`, the emulated STT's transcripts (offline mode). */
  sttScriptFile: string | null;
}

/** Default instructions: short and voice-shaped until the pipeline issue refines them. */
export const DEFAULT_INSTRUCTIONS =
  'You are a helpful voice assistant. Your words are spoken aloud: answer in two or three short sentences of plain speech, with no markdown, lists or emoji. Spell out email addresses, phone numbers, units and symbols the way a person would say them.';

const int = (min: number) => z.coerce.number().int().min(min);
const list = z
  .string()
  .optional()
  .transform((s) =>
    (s ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );

/** Unset and empty both mean "not given". */
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v ? v : undefined));
/** WebSocket providers (Deepgram, Cartesia) take ws(s) too; HTTP providers (the LLMs) only http(s). */
const optionalUrl = optionalString.pipe(z.url({ protocol: /^(https?|wss?)$/ }).optional());
const optionalHttpUrl = optionalString.pipe(z.url({ protocol: /^https?$/ }).optional());

const EnvSchema = z.object({
  PORT: int(0).max(65_535).default(8000),
  HOST: z.string().min(1).default('127.0.0.1'),
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  GATEWAY_API_KEYS: list,
  GATEWAY_ALLOWED_ORIGINS: list,
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  LOG_CONTENT: z.enum(['true', 'false']).default('false'),
  METRICS: z.enum(['auto', 'public', 'off']).default('auto'),
  // A 2-core machine runs a few hundred voice sessions on the emulators; measure yours with the
  // capacity benchmark and set the cap below the point where turn latency degrades.
  MAX_SESSIONS: int(1).default(500),
  MAX_SESSIONS_PER_KEY: int(0).default(0),
  // Past this the open sessions' turns all get later together. 0.8, not higher: the reading lags a
  // ramp of new sessions by its window, and the loop overshot to 0.92 before refusing (Capacity,
  // measured before the guard projected ramps; on a saturated host the loop's busy share also
  // climbs faster than the sessions do).
  MAX_EVENT_LOOP_UTILIZATION: z.coerce.number().min(0).max(1).default(0.8),
  SESSION_IDLE_TIMEOUT_MS: int(0).default(DEFAULT_SESSION_LIMITS.idleTimeoutMs),
  DRAIN_TIMEOUT_MS: int(0).default(30_000),
  // 100: a 10-minute soak at 100 sessions drifted +13.6 % from the first minute instead of
  // +28.2 % and ended 70 MiB lower; at 200 sessions it took at most 1 % more CPU and 14 to 15 full
  // GCs per 30 s instead of 7. 50 held 18 MiB less for 2 to 3 % more CPU and 26 to 30 full GCs
  // (README, Capacity).
  // Past 300 (a factor of 4, the most V8 picks by itself) a setting only holds more memory.
  HEAP_GROWING_PERCENT: int(0).max(300).default(100),
  OUTBOUND_HIGH_WATER_BYTES: int(4096).default(DEFAULT_SESSION_LIMITS.outboundHighWaterBytes),
  DEFAULT_MODEL: z.string().min(1).default('gpt-realtime'),
  SPECULATIVE_TURN_START: z.enum(['true', 'false']).default('true'),
  VAD_HOST: z.enum(['process', 'caller']).default('process'),
  // A window is 32 ms: waiting longer than a few windows only delays every turn's end.
  VAD_BATCH_WAIT_MS: int(0).max(100).default(DEFAULT_MAX_BATCH_WAIT_MS),
  VAD_RELAXED_WAIT_MS: int(0).max(100).default(DEFAULT_RELAXED_BATCH_WAIT_MS),
  DEFAULT_VOICE: z.string().min(1).default('alloy'),
  DEFAULT_INSTRUCTIONS: z.string().default(DEFAULT_INSTRUCTIONS),
  MAX_MESSAGE_BYTES: int(1024).default(DEFAULT_SESSION_LIMITS.maxMessageBytes),
  MAX_INPUT_AUDIO_BUFFER_MS: int(1000).default(DEFAULT_SESSION_LIMITS.maxInputAudioBufferMs),
  MAX_CONVERSATION_ITEMS: int(1).default(DEFAULT_SESSION_LIMITS.maxConversationItems),
  MAX_SESSION_DURATION_MS: int(1000).default(DEFAULT_SESSION_LIMITS.maxSessionDurationMs),
  MAX_PENDING_EVENTS: int(1).default(DEFAULT_SESSION_LIMITS.maxPendingEvents),
  MAX_OUTBOUND_BUFFER_BYTES: int(65_536).default(DEFAULT_SESSION_LIMITS.maxOutboundBufferBytes),
  MAX_RETAINED_AUDIO_BYTES: int(0).default(DEFAULT_SESSION_LIMITS.maxRetainedAudioBytes),
  MAX_CONCURRENT_RESPONSES: int(1).default(DEFAULT_SESSION_LIMITS.maxConcurrentResponses),
  // Below a few thousand tokens the answer's reserve (4,096 with max_output_tokens "inf") leaves
  // no room for a conversation at all.
  LLM_CONTEXT_TOKENS: int(8_192).default(DEFAULT_SESSION_LIMITS.llmContextTokens),
  GATEWAY_PROVIDERS: z.enum(['auto', 'cloud', 'offline']).default('auto'),
  DEEPGRAM_API_KEY: optionalString,
  DEEPGRAM_BASE_URL: optionalUrl,
  DEEPGRAM_MODEL: z.string().min(1).default('nova-3'),
  DEEPGRAM_LANGUAGE: z.string().min(1).default('en'),
  GROQ_API_KEY: optionalString,
  GROQ_BASE_URL: optionalHttpUrl,
  GROQ_MODEL: z.string().min(1).default('llama-3.1-8b-instant'),
  GROQ_OPENAI_COMPATIBLE: z.enum(['true', 'false']).default('false'),
  LLM_FIRST_TOKEN_DEADLINE_MS: int(1).default(1_500),
  LLM_INTER_TOKEN_TIMEOUT_MS: int(1).default(5_000),
  CEREBRAS_API_KEY: optionalString,
  CEREBRAS_BASE_URL: optionalHttpUrl,
  CEREBRAS_MODEL: z.string().min(1).default('llama3.1-8b'),
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: optionalHttpUrl,
  ANTHROPIC_MODEL: z.string().min(1).default('claude-haiku-4-5'),
  LLM_FALLBACK_ORDER: z
    .string()
    .optional()
    .transform((v) =>
      v
        ? v
            .split(',')
            .map((x) => x.trim().toLowerCase())
            .filter(Boolean)
        : [...LLM_PROVIDERS],
    )
    .pipe(z.array(z.enum(LLM_PROVIDERS)).min(1)),
  CARTESIA_API_KEY: optionalString,
  CARTESIA_BASE_URL: optionalUrl,
  CARTESIA_MODEL: z.string().min(1).default('sonic-3'),
  CARTESIA_VOICE: optionalString,
  CARTESIA_LANGUAGE: z.string().min(1).default('en'),
  CARTESIA_VERSION: optionalString,
  CARTESIA_EMOTION: optionalString,
  CARTESIA_VOICE_MAP: list,
  CARTESIA_LANGUAGE_VOICES: list,
  SIM_STT_SCRIPT: optionalString,
  TWILIO_AUTH_TOKEN: optionalString,
  PUBLIC_URL: optionalHttpUrl,
  TWILIO_LANGUAGE_BY_PREFIX: z.string().default('+52=es,+1=en'),
  TWILIO_DEFAULT_LANGUAGE: z.string().min(2).default('en'),
  TWILIO_AGENT: optionalString,
  TWILIO_AGENT_FILE: optionalString,
  TWILIO_TOOL_WEBHOOK_URL: optionalHttpUrl,
  // Twilio opens the stream within a second or two of the webhook's answer; 30 s is generous.
  TWILIO_PREWARM_TTL_MS: int(1_000).default(30_000),
  // Twilio sends `start` right after `connected`; a signed socket silent this long is not Twilio.
  TWILIO_START_TIMEOUT_MS: int(100).default(10_000),
});

/** Thrown for settings that cannot work; the message says what to change. */
export class ConfigError extends Error {}

/** Parses settings from an environment (default: `process.env`). */
export function loadConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  // An empty variable means "not set", as shells and .env files commonly leave them.
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (Boolean(e.TLS_CERT_FILE) !== Boolean(e.TLS_KEY_FILE)) {
    throw new ConfigError(
      'Set both TLS_CERT_FILE and TLS_KEY_FILE for HTTPS, or neither for plain HTTP (`npm run cert` makes a development pair).',
    );
  }
  if (e.OUTBOUND_HIGH_WATER_BYTES >= e.MAX_OUTBOUND_BUFFER_BYTES) {
    throw new ConfigError(
      `OUTBOUND_HIGH_WATER_BYTES (${e.OUTBOUND_HIGH_WATER_BYTES}) must be below MAX_OUTBOUND_BUFFER_BYTES (${e.MAX_OUTBOUND_BUFFER_BYTES}): responses pause at the first and sockets close at the second.`,
    );
  }
  if (e.GATEWAY_API_KEYS.length === 0 && !isLoopback(e.HOST)) {
    throw new ConfigError(
      `HOST=${e.HOST} is not a loopback address and GATEWAY_API_KEYS is empty: the gateway would accept any key from the network. Set GATEWAY_API_KEYS (comma-separated) or bind to 127.0.0.1.`,
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : null,
    apiKeys: e.GATEWAY_API_KEYS,
    allowedOrigins: e.GATEWAY_ALLOWED_ORIGINS,
    logLevel: e.LOG_LEVEL,
    logContent: e.LOG_CONTENT === 'true',
    metrics: e.METRICS,
    maxSessions: e.MAX_SESSIONS,
    maxSessionsPerKey: e.MAX_SESSIONS_PER_KEY,
    maxEventLoopUtilization: e.MAX_EVENT_LOOP_UTILIZATION,
    drainTimeoutMs: e.DRAIN_TIMEOUT_MS,
    heapGrowingPercent: e.HEAP_GROWING_PERCENT,
    defaultModel: e.DEFAULT_MODEL,
    speculativeTurnStart: e.SPECULATIVE_TURN_START === 'true',
    defaultVoice: e.DEFAULT_VOICE,
    defaultInstructions: e.DEFAULT_INSTRUCTIONS,
    providers: resolveProviders(e),
    telephony: resolveTelephony(e),
    limits: {
      ...DEFAULT_SESSION_LIMITS,
      maxMessageBytes: e.MAX_MESSAGE_BYTES,
      maxInputAudioBufferMs: e.MAX_INPUT_AUDIO_BUFFER_MS,
      maxConversationItems: e.MAX_CONVERSATION_ITEMS,
      maxSessionDurationMs: e.MAX_SESSION_DURATION_MS,
      maxPendingEvents: e.MAX_PENDING_EVENTS,
      maxOutboundBufferBytes: e.MAX_OUTBOUND_BUFFER_BYTES,
      outboundHighWaterBytes: e.OUTBOUND_HIGH_WATER_BYTES,
      idleTimeoutMs: e.SESSION_IDLE_TIMEOUT_MS,
      maxRetainedAudioBytes: e.MAX_RETAINED_AUDIO_BYTES,
      maxConcurrentResponses: e.MAX_CONCURRENT_RESPONSES,
      llmContextTokens: e.LLM_CONTEXT_TOKENS,
    },
  };
}

type Env = z.infer<typeof EnvSchema>;

/** The keys the cloud set needs: STT, TTS, and at least one LLM of the chain. */
function resolveProviders(e: Env): ProvidersConfig {
  const llmKeys: Record<LlmProviderName, string | undefined> = {
    groq: e.GROQ_API_KEY,
    cerebras: e.CEREBRAS_API_KEY,
    anthropic: e.ANTHROPIC_API_KEY,
  };
  const anyKey = Boolean(e.DEEPGRAM_API_KEY || e.CARTESIA_API_KEY || Object.values(llmKeys).some(Boolean));
  const mode: ProvidersMode =
    e.GATEWAY_PROVIDERS === 'auto' ? (anyKey ? 'cloud' : 'offline') : e.GATEWAY_PROVIDERS;
  const order = [...new Set(e.LLM_FALLBACK_ORDER)];
  const llmOrder = mode === 'cloud' ? order.filter((name) => llmKeys[name]) : order;
  if (mode === 'cloud') {
    const missing: string[] = [];
    if (!e.DEEPGRAM_API_KEY) missing.push('DEEPGRAM_API_KEY');
    if (!e.CARTESIA_API_KEY) missing.push('CARTESIA_API_KEY');
    if (llmOrder.length === 0)
      missing.push(`one of ${order.map((n) => `${n.toUpperCase()}_API_KEY`).join(', ')}`);
    if (!e.CARTESIA_VOICE)
      missing.push('CARTESIA_VOICE (the Cartesia voice id for OpenAI voice names not in CARTESIA_VOICE_MAP)');
    if (missing.length > 0) {
      const why =
        e.GATEWAY_PROVIDERS === 'auto'
          ? 'Some provider keys are set, so the gateway would run on the cloud providers'
          : 'GATEWAY_PROVIDERS=cloud';
      throw new ConfigError(
        `${why}, but these are missing: ${missing.join('; ')}. Set them, or unset every provider key (or set GATEWAY_PROVIDERS=offline) to run on the built-in emulators.`,
      );
    }
  }
  const key = (v: string | undefined) => (mode === 'cloud' ? (v ?? null) : null);
  const url = (v: string | undefined) => (mode === 'cloud' ? (v ?? null) : null);
  return {
    mode,
    requested: e.GATEWAY_PROVIDERS,
    vadHost: e.VAD_HOST,
    vadBatchWaitMs: e.VAD_BATCH_WAIT_MS,
    vadRelaxedWaitMs: e.VAD_RELAXED_WAIT_MS,
    deepgram: {
      apiKey: key(e.DEEPGRAM_API_KEY),
      baseUrl: url(e.DEEPGRAM_BASE_URL),
      model: e.DEEPGRAM_MODEL,
      language: e.DEEPGRAM_LANGUAGE,
    },
    llm: {
      groq: { apiKey: key(e.GROQ_API_KEY), baseUrl: url(e.GROQ_BASE_URL), model: e.GROQ_MODEL },
      cerebras: {
        apiKey: key(e.CEREBRAS_API_KEY),
        baseUrl: url(e.CEREBRAS_BASE_URL),
        model: e.CEREBRAS_MODEL,
      },
      anthropic: {
        apiKey: key(e.ANTHROPIC_API_KEY),
        baseUrl: url(e.ANTHROPIC_BASE_URL),
        model: e.ANTHROPIC_MODEL,
      },
    },
    llmOrder,
    llmFirstTokenDeadlineMs: e.LLM_FIRST_TOKEN_DEADLINE_MS,
    llmInterTokenTimeoutMs: e.LLM_INTER_TOKEN_TIMEOUT_MS,
    groqOpenAiCompatible: e.GROQ_OPENAI_COMPATIBLE === 'true',
    cartesia: {
      apiKey: key(e.CARTESIA_API_KEY),
      baseUrl: url(e.CARTESIA_BASE_URL),
      model: e.CARTESIA_MODEL,
      defaultVoice: e.CARTESIA_VOICE ?? null,
      voiceMap: parsePairs('CARTESIA_VOICE_MAP', e.CARTESIA_VOICE_MAP, '<openai voice>=<cartesia voice id>'),
      languageVoices: parsePairs(
        'CARTESIA_LANGUAGE_VOICES',
        e.CARTESIA_LANGUAGE_VOICES,
        '<language>=<cartesia voice id>',
      ),
      language: e.CARTESIA_LANGUAGE,
      version: e.CARTESIA_VERSION ?? null,
      emotion: e.CARTESIA_EMOTION ?? null,
    },
    sttScriptFile: e.SIM_STT_SCRIPT ?? null,
  };
}

function resolveTelephony(e: Env): TelephonyConfig {
  if (e.TWILIO_AGENT && e.TWILIO_AGENT_FILE)
    throw new ConfigError('Set TWILIO_AGENT (JSON) or TWILIO_AGENT_FILE (a path to JSON), not both.');
  let agent = DEFAULT_CALL_AGENT;
  const source = e.TWILIO_AGENT_FILE ? `TWILIO_AGENT_FILE (${e.TWILIO_AGENT_FILE})` : 'TWILIO_AGENT';
  let text = e.TWILIO_AGENT;
  if (e.TWILIO_AGENT_FILE) {
    try {
      text = readFileSync(e.TWILIO_AGENT_FILE, 'utf8');
    } catch (err) {
      throw new ConfigError(`${source}: cannot read the file (${(err as Error).message}).`);
    }
  }
  if (text !== undefined) {
    const parsed = parseCallAgent(text, source);
    if (!parsed.ok) throw new ConfigError(parsed.message);
    agent = parsed.agent;
  }
  if (e.TWILIO_TOOL_WEBHOOK_URL) agent = { ...agent, toolWebhookUrl: e.TWILIO_TOOL_WEBHOOK_URL };
  if (text !== undefined) checkCallAgent(agent, source, e.TWILIO_DEFAULT_LANGUAGE);
  const prefixes = parsePairs(
    'TWILIO_LANGUAGE_BY_PREFIX',
    e.TWILIO_LANGUAGE_BY_PREFIX.split(',')
      .map((x) => x.trim())
      .filter(Boolean),
    '<+country prefix>=<language>',
  );
  for (const prefix of Object.keys(prefixes)) {
    if (!/^\+\d{1,6}$/.test(prefix))
      throw new ConfigError(`TWILIO_LANGUAGE_BY_PREFIX: '${prefix}' is not a prefix like +52.`);
  }
  return {
    authToken: e.TWILIO_AUTH_TOKEN ?? null,
    publicUrl: e.PUBLIC_URL ? e.PUBLIC_URL.replace(/\/+$/, '') : null,
    languageByPrefix: Object.entries(prefixes).sort((a, b) => b[0].length - a[0].length),
    defaultLanguage: e.TWILIO_DEFAULT_LANGUAGE,
    agent,
    prewarmTtlMs: e.TWILIO_PREWARM_TTL_MS,
    startTimeoutMs: e.TWILIO_START_TIMEOUT_MS,
  };
}

/**
 * Applies the agent's session as a call would, so settings a session refuses (a tool schema, a
 * tool_choice naming no tool) stop the start rather than every call.
 */
function checkCallAgent(agent: CallAgent, source: string, defaultLanguage: string): void {
  const base = defaultRealtimeSession({
    id: 'check',
    model: agent.session.model ?? 'gpt-realtime',
    expiresAt: 0,
    instructions: '',
    voice: 'alloy',
    turnDetection: 'server_vad',
  });
  for (const language of agentLanguages(agent).length ? agentLanguages(agent) : [defaultLanguage]) {
    const r = applySessionUpdate(base, phoneSession(agent, language), { audioSent: false, modelOpen: false });
    if (!r.ok)
      throw new ConfigError(`${source}: the session is refused: ${r.error.param ?? ''} ${r.error.message}`);
  }
}

/** `alloy=<id>,verse=<id>` to a map; a malformed pair is a configuration error. */
function parsePairs(variable: string, pairs: string[], form: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of pairs) {
    const [name, id, extra] = pair.split('=').map((x) => x.trim());
    if (!name || !id || extra !== undefined) {
      throw new ConfigError(`${variable}: '${pair}' is not of the form ${form}.`);
    }
    map[name] = id;
  }
  return map;
}

/** Whether a host name or address is loopback-only. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}
