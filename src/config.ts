/**
 * The only reader of `process.env`: parses the gateway's settings once, with defaults, and fails
 * with a message that says how to fix the problem.
 */
import { z } from 'zod';
import { DEFAULT_SESSION_LIMITS } from './session/limits.js';
import type { SessionLimits } from './session/limits.js';
import type { LogLevel } from './util/log.js';

/** OpenAI allows 15 MiB of decoded audio per append, about 20 MiB as base64 JSON; keep room above it. */
const DEFAULT_MAX_MESSAGE_BYTES = 24 * 1024 * 1024;

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
  /** Model name a session reports when its URL names none. */
  defaultModel: string;
  defaultVoice: string;
  defaultInstructions: string;
  maxMessageBytes: number;
  limits: SessionLimits;
}

/** Default instructions: short and voice-shaped until the pipeline issue refines them. */
export const DEFAULT_INSTRUCTIONS =
  'You are a helpful voice assistant. Answer in two or three short sentences of plain speech, with no markdown or lists.';

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

const EnvSchema = z.object({
  PORT: int(0).max(65_535).default(8000),
  HOST: z.string().min(1).default('127.0.0.1'),
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  GATEWAY_API_KEYS: list,
  GATEWAY_ALLOWED_ORIGINS: list,
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  DEFAULT_MODEL: z.string().min(1).default('gpt-realtime'),
  DEFAULT_VOICE: z.string().min(1).default('alloy'),
  DEFAULT_INSTRUCTIONS: z.string().default(DEFAULT_INSTRUCTIONS),
  MAX_MESSAGE_BYTES: int(1024).default(DEFAULT_MAX_MESSAGE_BYTES),
  MAX_INPUT_AUDIO_BUFFER_MS: int(1000).default(DEFAULT_SESSION_LIMITS.maxInputAudioBufferMs),
  MAX_CONVERSATION_ITEMS: int(1).default(DEFAULT_SESSION_LIMITS.maxConversationItems),
  MAX_SESSION_DURATION_MS: int(1000).default(DEFAULT_SESSION_LIMITS.maxSessionDurationMs),
  MAX_PENDING_EVENTS: int(1).default(DEFAULT_SESSION_LIMITS.maxPendingEvents),
  MAX_OUTBOUND_BUFFER_BYTES: int(65_536).default(DEFAULT_SESSION_LIMITS.maxOutboundBufferBytes),
});

/** Thrown for settings that cannot work; the message says what to change. */
export class ConfigError extends Error {}

/** Parses settings from an environment (default: `process.env`). */
export function loadConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const parsed = EnvSchema.safeParse(env);
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
    defaultModel: e.DEFAULT_MODEL,
    defaultVoice: e.DEFAULT_VOICE,
    defaultInstructions: e.DEFAULT_INSTRUCTIONS,
    maxMessageBytes: e.MAX_MESSAGE_BYTES,
    limits: {
      ...DEFAULT_SESSION_LIMITS,
      maxInputAudioBufferMs: e.MAX_INPUT_AUDIO_BUFFER_MS,
      maxConversationItems: e.MAX_CONVERSATION_ITEMS,
      maxSessionDurationMs: e.MAX_SESSION_DURATION_MS,
      maxPendingEvents: e.MAX_PENDING_EVENTS,
      maxOutboundBufferBytes: e.MAX_OUTBOUND_BUFFER_BYTES,
    },
  };
}

/** Whether a host name or address is loopback-only. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}
