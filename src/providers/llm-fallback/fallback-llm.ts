/**
 * The LLM fallback chain: providers in configured order; one that errors, misses its
 * first-token deadline or has an open circuit before its first token is skipped for the next.
 * Once a token (text or tool call) has reached the caller there is no retry: the caller has
 * already spoken part of the answer, so later errors propagate.
 */
import type { LlmEvent, LlmRequest, LlmStage } from '../types.js';
import type { CircuitBreaker } from './circuit-breaker.js';

/** One provider of the chain. */
export interface FallbackProvider {
  /** For logs, metrics and errors (`groq`, `cerebras`, `anthropic`). */
  name: string;
  stage: LlmStage;
  /** Shared across sessions: one per provider, made once at start-up. None: always tried. */
  breaker?: CircuitBreaker;
}

/** Why a provider was skipped. */
export interface FallbackAttempt {
  name: string;
  reason: 'error' | 'deadline' | 'circuit_open';
  /** Key-free description (the adapters' error messages). */
  message: string;
  /** From the start of the generation to the moment the provider was given up. */
  elapsedMs: number;
}

/** How a generation was served. */
export interface ServedInfo {
  /** From the start of the generation to the first token the caller got. */
  firstTokenMs: number;
  /** Providers skipped before this one, in order. */
  fallbacks: FallbackAttempt[];
}

/** Options of `FallbackLlm`. */
export interface FallbackLlmOptions {
  /** In order of preference; at least one. */
  providers: FallbackProvider[];
  /** Time a provider has to produce its first token before the next is tried; default `DEFAULT_FIRST_TOKEN_DEADLINE_MS`. */
  firstTokenDeadlineMs?: number;
  /** Called once per generation with the provider that produced the first token. */
  onServed?: (name: string, info: ServedInfo) => void;
  /** Called each time a provider is skipped. */
  onFallback?: (attempt: FallbackAttempt) => void;
  /** Clock in ms, for tests. */
  now?: () => number;
}

/**
 * Groq's and Cerebras's first tokens come in 0.2 to 0.4 s, rarely past 1 s; at 1.5 s a miss is
 * clearly abnormal, and the next provider (about 0.2 to 0.5 s to its first token) still answers
 * within about 2 s of the user's turn end.
 */
export const DEFAULT_FIRST_TOKEN_DEADLINE_MS = 1_500;

/** Every provider failed before its first token; the message names each one's failure. */
export class AllLlmProvidersFailedError extends Error {
  override readonly name = 'AllLlmProvidersFailedError';
  constructor(readonly attempts: FallbackAttempt[]) {
    super(`all LLM providers failed: ${attempts.map((a) => `${a.name}: ${a.message}`).join('; ')}`);
  }
}

type FirstOutcome =
  | { kind: 'served'; event: LlmEvent }
  | { kind: 'failed'; reason: 'error' | 'deadline'; message: string }
  | { kind: 'aborted' };

/** An LLM stage that falls back along a provider chain. */
export class FallbackLlm implements LlmStage {
  readonly label = 'fallback.llm';
  private readonly providers: FallbackProvider[];
  private readonly deadlineMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: FallbackLlmOptions) {
    if (opts.providers.length === 0) throw new Error('fallback.llm: at least one provider is required');
    this.providers = [...opts.providers];
    this.deadlineMs = opts.firstTokenDeadlineMs ?? DEFAULT_FIRST_TOKEN_DEADLINE_MS;
    if (!(this.deadlineMs > 0)) throw new Error('fallback.llm: firstTokenDeadlineMs must be positive');
    this.now = opts.now ?? (() => performance.now());
  }

  async *generate(request: LlmRequest, signal: AbortSignal): AsyncIterable<LlmEvent> {
    if (signal.aborted) return;
    const startedAt = this.now();
    const attempts: FallbackAttempt[] = [];
    const skip = (name: string, reason: FallbackAttempt['reason'], message: string) => {
      const attempt = { name, reason, message, elapsedMs: this.now() - startedAt };
      attempts.push(attempt);
      this.opts.onFallback?.(attempt);
    };

    for (let i = 0; i < this.providers.length; i++) {
      const provider = this.providers[i]!;
      const { name, stage, breaker } = provider;
      if (breaker && !breaker.tryAcquire()) {
        skip(name, 'circuit_open', 'circuit open, skipped');
        continue;
      }
      // The last provider that can be tried gets no deadline: cutting it off could only fail the turn.
      const rest = this.providers.slice(i + 1);
      const deadlineMs = rest.some((p) => !p.breaker || p.breaker.wouldAllow()) ? this.deadlineMs : null;

      const attempt = new AbortController();
      const onAbort = () => attempt.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      const iterator = stage.generate(request, attempt.signal)[Symbol.asyncIterator]();
      let streaming = false;
      try {
        const first = await firstEvent(iterator, deadlineMs, signal);
        if (first.kind === 'aborted') {
          breaker?.recordCancelled();
          return;
        }
        if (first.kind === 'failed') {
          attempt.abort();
          breaker?.recordFailure();
          skip(name, first.reason, first.message);
          continue;
        }
        streaming = true;
        breaker?.recordSuccess();
        this.opts.onServed?.(name, { firstTokenMs: this.now() - startedAt, fallbacks: attempts });
        yield first.event;
        for (;;) {
          let next: IteratorResult<LlmEvent>;
          try {
            next = await iterator.next();
          } catch (err) {
            if (signal.aborted) return;
            breaker?.recordFailure();
            throw err;
          }
          if (next.done) {
            streaming = false; // ended: nothing of the provider's is left to close
            return;
          }
          yield next.value;
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
        if (streaming) {
          // The caller stopped early: close the provider's stream too.
          attempt.abort();
          await iterator.return?.()?.catch(() => undefined);
        }
      }
    }
    throw new AllLlmProvidersFailedError(attempts);
  }
}

/** Waits for the first event of a provider's stream, up to `deadlineMs` (null: no deadline). */
async function firstEvent(
  iterator: AsyncIterator<LlmEvent>,
  deadlineMs: number | null,
  signal: AbortSignal,
): Promise<FirstOutcome> {
  const next = iterator.next().then(
    (r): FirstOutcome =>
      r.done
        ? signal.aborted
          ? { kind: 'aborted' }
          : { kind: 'failed', reason: 'error', message: 'stream ended without any output' }
        : { kind: 'served', event: r.value },
    (err: unknown): FirstOutcome =>
      signal.aborted
        ? { kind: 'aborted' }
        : { kind: 'failed', reason: 'error', message: err instanceof Error ? err.message : String(err) },
  );
  if (deadlineMs === null) return next;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<FirstOutcome>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({ kind: 'failed', reason: 'deadline', message: `no first token within ${deadlineMs} ms` }),
      deadlineMs,
    );
  });
  try {
    const outcome = await Promise.race([next, deadline]);
    if (outcome.kind === 'failed' && outcome.reason === 'deadline') {
      // The late stream is aborted by the caller of this function; close its iterator when it settles.
      void next.then(() => iterator.return?.()).catch(() => undefined);
    }
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}
