/**
 * What the three LLM adapters share around their SDK's stream: a first-token and an inter-token
 * watchdog (the SDKs' `timeout` stops counting once headers arrive, providers.md 0.7, so a
 * stream that stalls mid-body would hang forever), quiet return on the caller's abort, and
 * errors with a clear, key-free message.
 */
import type { FetchFunction } from './node-fetch.js';

/** An LLM provider's failure; the message names the stage and never contains a key. */
export class LlmProviderError extends Error {
  override readonly name: string = 'LlmProviderError';
  constructor(
    readonly label: string,
    message: string,
    /** HTTP status, when the provider answered with one. */
    readonly status?: number,
  ) {
    super(`${label}: ${message}`);
  }
}

/** The provider sent nothing for too long. */
export class LlmTimeoutError extends LlmProviderError {
  override readonly name = 'LlmTimeoutError';
}

/** How long a stream may stay silent. */
export interface StreamDeadlines {
  /** From the request to the first chunk (headers included). */
  firstTokenTimeoutMs: number;
  /** Between two chunks; time the caller spends between pulls does not count. */
  interTokenTimeoutMs: number;
}

/** A queued provider can take seconds to start; past 10 s a voice turn is lost anyway. */
export const DEFAULT_FIRST_TOKEN_TIMEOUT_MS = 10_000;
/** Tokens come every ~20 ms; 5 s of silence mid-stream means the stream is dead. */
export const DEFAULT_INTER_TOKEN_TIMEOUT_MS = 5_000;

/** Key-like tokens some providers echo back in part (`sk-abc***xyz`). */
const KEY_LIKE = /\b(?:gsk|csk|sk-ant|sk)[-_][A-Za-z0-9*_-]{6,}/g;

/** `message` with `apiKey` and key-like tokens removed. */
export function redact(message: string, apiKey: string): string {
  const out = apiKey ? message.split(apiKey).join('[redacted]') : message;
  return out.replace(KEY_LIKE, '[redacted]');
}

/** What every LLM adapter takes. */
export interface LlmAdapterOptions {
  apiKey: string;
  /** Default: the provider's cloud. */
  baseUrl?: string;
  model?: string;
  /** From the request to the first chunk; default `DEFAULT_FIRST_TOKEN_TIMEOUT_MS`. */
  firstTokenTimeoutMs?: number;
  /** Between chunks; default `DEFAULT_INTER_TOKEN_TIMEOUT_MS`. */
  interTokenTimeoutMs?: number;
  /** The SDK's transport. Default: `createNodeFetch()` (node-fetch.ts); `bench:llm` passes Node's own to compare. */
  fetch?: FetchFunction;
}

/** Checks the options every adapter shares; throws a message that says what to fix. */
export function validateCommon(label: string, opts: LlmAdapterOptions): StreamDeadlines {
  if (typeof opts.apiKey !== 'string' || opts.apiKey.length === 0) {
    throw new Error(`${label}: apiKey is required (any non-empty string for the offline emulator)`);
  }
  if (opts.baseUrl !== undefined && !/^https?:\/\/[^/]/.test(opts.baseUrl)) {
    throw new Error(`${label}: baseUrl must be an http(s) URL, got ${JSON.stringify(opts.baseUrl)}`);
  }
  const deadlines = {
    firstTokenTimeoutMs: opts.firstTokenTimeoutMs ?? DEFAULT_FIRST_TOKEN_TIMEOUT_MS,
    interTokenTimeoutMs: opts.interTokenTimeoutMs ?? DEFAULT_INTER_TOKEN_TIMEOUT_MS,
  };
  for (const [name, ms] of Object.entries(deadlines)) {
    if (!(ms > 0)) throw new Error(`${label}: ${name} must be a positive number of milliseconds`);
  }
  return deadlines;
}

/** A key-free `LlmProviderError` from whatever an SDK threw. */
export function describeError(label: string, apiKey: string, err: unknown): LlmProviderError {
  if (err instanceof LlmProviderError) return err;
  const e = err as { status?: unknown; message?: unknown; cause?: { message?: unknown } } | null;
  const status = typeof e?.status === 'number' ? e.status : undefined;
  let message = typeof e?.message === 'string' && e.message ? e.message : String(err);
  const cause = e?.cause?.message;
  if (typeof cause === 'string' && cause && !message.includes(cause)) message += ` (${cause})`;
  // A connection cut mid-body reads just "aborted" from node:http; its code says it was the peer.
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code && !message.includes(code)) message += ` (${code})`;
  return new LlmProviderError(label, redact(message, apiKey), status);
}

/**
 * Runs `open` and iterates its stream under the deadlines. The caller's abort ends it quietly; a
 * missed deadline aborts the request and throws `LlmTimeoutError`; other failures go through
 * `describe`.
 */
export async function* guardStream<T>(
  label: string,
  deadlines: StreamDeadlines,
  signal: AbortSignal,
  open: (signal: AbortSignal) => Promise<AsyncIterable<T>>,
  describe: (err: unknown) => LlmProviderError,
): AsyncGenerator<T> {
  if (signal.aborted) return;
  const request = new AbortController();
  const onAbort = () => request.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  let timedOut: string | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (ms: number, what: string) => {
    timer = setTimeout(() => {
      timedOut = `${what} (${ms} ms)`;
      request.abort();
    }, ms);
  };
  let iterator: AsyncIterator<T> | undefined;
  let complete = false;
  try {
    arm(deadlines.firstTokenTimeoutMs, 'no response before the first-token timeout');
    iterator = (await open(request.signal))[Symbol.asyncIterator]();
    for (let first = true; ; first = false) {
      if (!first) arm(deadlines.interTokenTimeoutMs, 'stream stalled past the inter-token timeout');
      const next = await iterator.next();
      clearTimeout(timer);
      if (next.done) {
        complete = true;
        break;
      }
      yield next.value;
    }
  } catch (err) {
    if (signal.aborted) return;
    if (timedOut) throw new LlmTimeoutError(label, timedOut);
    throw describe(err);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    // Ends the HTTP request when the caller stopped early or it failed. A complete stream's request
    // has ended: aborting it would only wake every listener the SDK and the fetch put on its signal
    // (a `--cpu-prof` at 100 sessions found 0.5 % of the busy loop there).
    if (!complete) {
      request.abort();
      await iterator?.return?.()?.catch(() => undefined);
    }
  }
  // The SDKs end their stream quietly when their request is aborted: tell a timeout apart here.
  if (!signal.aborted && timedOut) throw new LlmTimeoutError(label, timedOut);
}
