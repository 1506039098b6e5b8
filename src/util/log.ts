/**
 * Quiet structured logs: one JSON object per line on stderr (pino), fixed messages with variables
 * in fields. Transcripts, prompts, keys and audio are never passed in; the field names that could
 * carry them are redacted anyway unless content logging was asked for (`LOG_CONTENT`).
 */
import { pino } from 'pino';

/** Log levels in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** A structured logger. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Options of `createLogger`. */
export interface LoggerOptions {
  /** Where lines go; default stderr. Tests capture them here. */
  write?: (line: string) => void;
  /** Let content fields (`transcript`, `text`, `instructions`, `prompt`) through: a debug option. */
  content?: boolean;
}

/** Fields that would carry conversation content: censored unless content logging is on. */
const CONTENT_FIELDS = ['transcript', 'text', 'instructions', 'prompt'];
/** Fields that would carry secrets or audio: always censored. */
const SECRET_FIELDS = ['apiKey', 'api_key', 'authorization', 'audio', 'delta'];

/** A logger writing JSON lines at or above `level`. */
export function createLogger(level: LogLevel, options: LoggerOptions = {}): Logger {
  const write = options.write;
  const paths = [...SECRET_FIELDS, ...(options.content ? [] : CONTENT_FIELDS)];
  const logger = pino(
    {
      level,
      base: null,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...paths, ...paths.map((p) => `*.${p}`)], censor: '[redacted]' },
    },
    // Synchronous stderr, as pino's default: a crash loses no line, and log volume is low (a few
    // lines per session and turn, never per audio chunk).
    write ? { write } : pino.destination({ dest: 2, sync: true }),
  );
  const at =
    (lvl: Exclude<LogLevel, 'silent'>) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (fields) logger[lvl](fields, msg);
      else logger[lvl](msg);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A logger that drops everything. */
export const SILENT_LOGGER: Logger = createLogger('silent');
