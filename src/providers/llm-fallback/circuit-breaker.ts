/**
 * A circuit breaker for one LLM provider, shared by every session: after `failureThreshold`
 * consecutive failures it opens and the chain skips the provider at once; after `cooldownMs` it
 * lets one probe through (half-open), which closes it on success or reopens it on failure.
 */

/** Options of `CircuitBreaker`. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit; default `DEFAULT_FAILURE_THRESHOLD`. */
  failureThreshold?: number;
  /** Time the circuit stays open before a probe; default `DEFAULT_COOLDOWN_MS`. */
  cooldownMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * One failure can be a single 429 or a dropped connection, which the chain already absorbs by
 * falling back; three in a row at voice-turn rates means the provider is down, and each further
 * attempt would add its failure time (up to the first-token deadline) to a user's turn.
 */
export const DEFAULT_FAILURE_THRESHOLD = 3;
/**
 * Long enough to stop paying the failure latency on every turn of every session, short enough
 * to return to the preferred provider within a few conversational turns of its recovery.
 */
export const DEFAULT_COOLDOWN_MS = 30_000;

/** The breaker's state. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** Counts one provider's consecutive failures and decides whether to try it. */
export class CircuitBreaker {
  private readonly failureThreshold: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;
  private failures = 0;
  private openedAt: number | null = null;
  private probing = false;

  constructor(opts: CircuitBreakerOptions = {}) {
    this.failureThreshold = opts.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
    this.cooldownMs = opts.cooldownMs ?? DEFAULT_COOLDOWN_MS;
    this.now = opts.now ?? Date.now;
    if (!Number.isInteger(this.failureThreshold) || this.failureThreshold < 1) {
      throw new Error('circuit breaker: failureThreshold must be a positive integer');
    }
    if (!(this.cooldownMs >= 0)) throw new Error('circuit breaker: cooldownMs must be >= 0');
  }

  /** The current state (an open circuit past its cooldown reads as half-open). */
  get state(): CircuitState {
    if (this.openedAt === null) return 'closed';
    return this.now() - this.openedAt >= this.cooldownMs ? 'half_open' : 'open';
  }

  /** Whether a request would be let through now, without taking the probe slot. */
  wouldAllow(): boolean {
    const state = this.state;
    return state === 'closed' || (state === 'half_open' && !this.probing);
  }

  /** Asks to send a request; in half-open state only one probe at a time gets through. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  /** The request produced its first token. */
  recordSuccess(): void {
    this.failures = 0;
    this.openedAt = null;
    this.probing = false;
  }

  /** The request failed (error or missed deadline). */
  recordFailure(): void {
    this.failures++;
    if (this.probing || this.failures >= this.failureThreshold) this.openedAt = this.now();
    this.probing = false;
  }

  /** The request was cancelled by its caller: no verdict, but a probe slot is given back. */
  recordCancelled(): void {
    this.probing = false;
  }
}
