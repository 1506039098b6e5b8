/**
 * Who may open a session: the per-process and per-key caps, and the drain that stops new
 * sessions before shutdown. Slots are taken before the upgrade completes and given back when the
 * socket closes, so two upgrades racing cannot both take the last one.
 */
import type { LoadReading } from './load-guard.js';

/** Why a session is not admitted. */
export type AdmissionRefusal = 'max_sessions' | 'max_sessions_per_key' | 'draining' | 'overloaded';

/** The outcome of asking for a slot. */
export type Admission =
  { ok: true; release: () => void } | { ok: false; reason: AdmissionRefusal; message: string };

/** What `/readyz` reports. */
export interface Readiness {
  ready: boolean;
  status: 'ready' | 'draining' | 'full' | 'overloaded';
  sessions: number;
  maxSessions: number;
  /** Event-loop utilization over the last seconds (load-guard.ts). */
  eventLoopUtilization: number;
  /** That reading scaled to the sessions open now, which the guard compares with its threshold. */
  projectedEventLoopUtilization: number;
}

/** What admission reads of the process's load. */
export interface LoadSignal {
  /** Everything at once, so a report's status and figures agree. */
  read(): LoadReading;
}

const NO_LOAD: LoadSignal = { read: () => ({ utilization: 0, projected: 0, overloaded: false }) };

/** Session caps and the draining switch. */
export class SessionAdmission {
  private total = 0;
  private readonly perKey = new Map<string, number>();
  private isDraining = false;

  constructor(
    private readonly maxSessions: number,
    /** 0: no per-key cap. */
    private readonly maxSessionsPerKey: number,
    /** Refuses new sessions while the event loop is saturated. */
    private readonly load: LoadSignal = NO_LOAD,
  ) {}

  /** Sessions holding a slot. */
  get sessions(): number {
    return this.total;
  }

  /** Whether new sessions are refused for shutdown. */
  get draining(): boolean {
    return this.isDraining;
  }

  /** Refuses every new session from now on. */
  startDraining(): void {
    this.isDraining = true;
  }

  /** Takes a slot for a session of `keyId`, or says why not. */
  admit(keyId: string): Admission {
    if (this.isDraining)
      return { ok: false, reason: 'draining', message: 'This server is shutting down; connect again.' };
    if (this.total >= this.maxSessions) {
      return {
        ok: false,
        reason: 'max_sessions',
        message: `This server already holds ${this.maxSessions} sessions, the most it may; try again later.`,
      };
    }
    const held = this.perKey.get(keyId) ?? 0;
    if (this.maxSessionsPerKey > 0 && held >= this.maxSessionsPerKey) {
      return {
        ok: false,
        reason: 'max_sessions_per_key',
        message: `This API key already holds ${this.maxSessionsPerKey} sessions on this server, the most one key may; close one first.`,
      };
    }
    // Last: the caps tell the client something definite, and reading the load costs a clock read.
    if (this.load.read().overloaded) {
      return {
        ok: false,
        reason: 'overloaded',
        message: 'This server is at the limit of its processing capacity; try again later.',
      };
    }
    this.total++;
    this.perKey.set(keyId, held + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const left = (this.perKey.get(keyId) ?? 1) - 1;
        if (left > 0) this.perKey.set(keyId, left);
        else this.perKey.delete(keyId);
      },
    };
  }

  /** Ready: not draining, below the cap and not overloaded. */
  readiness(): Readiness {
    const load = this.load.read();
    const status = this.isDraining
      ? 'draining'
      : this.total >= this.maxSessions
        ? 'full'
        : load.overloaded
          ? 'overloaded'
          : 'ready';
    return {
      ready: status === 'ready',
      status,
      sessions: this.total,
      maxSessions: this.maxSessions,
      eventLoopUtilization: load.utilization,
      projectedEventLoopUtilization: load.projected,
    };
  }
}
