/**
 * A Realtime session on a fake transport, with scripted stages: drive it with client events and
 * read back what it sent, without sockets.
 */
import { SERVER_EVENT_SCHEMAS } from '../../protocol/realtime/index.js';
import type { Dialect, ServerEvent } from '../../protocol/realtime/index.js';
import { ScriptedLlm, echoScript } from '../../src/providers/fake/scripted-llm.js';
import type { LlmScript } from '../../src/providers/fake/scripted-llm.js';
import { ScriptedStt } from '../../src/providers/fake/scripted-stt.js';
import { ToneTts } from '../../src/providers/fake/tone-tts.js';
import type { ToneTtsOptions } from '../../src/providers/fake/tone-tts.js';
import type { VadStage } from '../../src/providers/types.js';
import { DEFAULT_SESSION_LIMITS } from '../../src/session/limits.js';
import type { SessionLimits } from '../../src/session/limits.js';
import { RealtimeSession } from '../../src/session/realtime-session.js';
import type { TurnLatency } from '../../src/session/realtime-session.js';
import { newId } from '../../src/util/ids.js';

/** Options of a harness session. */
export interface HarnessOptions {
  dialect?: Dialect;
  kind?: 'realtime' | 'transcription';
  llm?: LlmScript;
  tts?: Partial<ToneTtsOptions>;
  stt?: (string | { text: string; language: string })[];
  sttDelayMs?: number;
  limits?: Partial<SessionLimits>;
  /** A VAD stage (server turn detection); none by default. */
  vad?: VadStage;
  onTurnLatency?: (latency: TurnLatency) => void;
  onBargeIn?: (stopMs: number) => void;
  onContextCut?: () => void;
  speculativeTurnStart?: boolean;
  /** Start the session (send `session.created`) right away. Default true. */
  start?: boolean;
  model?: string | null;
  /** Log content (`LOG_CONTENT`); the lines go to `Harness.logs`. */
  logContent?: boolean;
}

/** A session and everything it sent. */
export class Harness {
  /** Frames as sent on the wire (dialect applied), parsed. */
  readonly wire: Record<string, unknown>[] = [];
  /** Events in GA form, as the observer saw them. */
  readonly events: ServerEvent[] = [];
  readonly closes: { code: number; reason: string }[] = [];
  /** What the session logged, a line per entry. */
  readonly logs: Record<string, unknown>[] = [];
  readonly session: RealtimeSession;
  readonly llm: ScriptedLlm;
  readonly tts: ToneTts;
  readonly stt: ScriptedStt;
  private waiters: (() => void)[] = [];
  bufferedAmount = 0;

  constructor(o: HarnessOptions = {}) {
    this.llm = new ScriptedLlm(o.llm ?? echoScript());
    this.tts = new ToneTts(o.tts);
    this.stt = new ScriptedStt(o.stt ?? [], o.sttDelayMs ?? 0);
    this.session = new RealtimeSession({
      transport: {
        send: (text) => {
          this.wire.push(JSON.parse(text) as Record<string, unknown>);
        },
        close: (code, reason) => {
          this.closes.push({ code, reason });
        },
        get bufferedAmount() {
          return 0;
        },
      },
      dialect: o.dialect ?? 'ga',
      kind: o.kind ?? 'realtime',
      stages: {
        llm: this.llm,
        tts: this.tts,
        stt: this.stt,
        vad: o.vad,
      },
      limits: { ...DEFAULT_SESSION_LIMITS, ...o.limits },
      defaults: {
        id: newId('sess'),
        model: o.model ?? 'gpt-realtime',
        expiresAt: 0,
        instructions: 'Be brief.',
        voice: 'alloy',
        turnDetection: 'server_vad',
      },
      modelOpen: o.model === null,
      resolveVoice: (v, language) => (language ? `${v}@${language}` : v),
      log: (level, msg, fields) => this.logs.push({ level, msg, ...fields }),
      logContent: o.logContent,
      onTurnLatency: o.onTurnLatency,
      onBargeIn: o.onBargeIn,
      onContextCut: o.onContextCut,
      speculativeTurnStart: o.speculativeTurnStart,
      observer: (e) => {
        this.events.push(e);
        for (const w of this.waiters.splice(0)) w();
      },
    });
    if (o.start ?? true) this.session.start();
  }

  /** Sends a client event (object or raw text). */
  send(event: object | string): void {
    this.session.receive(typeof event === 'string' ? event : JSON.stringify(event), false);
  }

  /** GA event types since index `from`. */
  types(from = 0): string[] {
    return this.events.slice(from).map((e) => e.type);
  }

  /** Waits until an event of `type` exists at or after `from`; returns it. */
  async waitFor(type: string, from = 0, timeoutMs = 5_000): Promise<ServerEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find((e) => e.type === type);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${type}; have ${this.types(from).join(', ')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The last error event's body. */
  lastError(): Record<string, unknown> | undefined {
    const e = [...this.events].reverse().find((x) => x.type === 'error');
    return e?.type === 'error' ? (e.error as unknown as Record<string, unknown>) : undefined;
  }

  /** Every GA event checked against its server schema; returns the failures. */
  invalidEvents(): string[] {
    const bad: string[] = [];
    for (const e of this.events) {
      const schema = SERVER_EVENT_SCHEMAS[e.type];
      const r = schema.safeParse(e);
      if (!r.success) bad.push(`${e.type}: ${JSON.stringify(r.error.issues[0])}`);
    }
    return bad;
  }
}

/** A user text item event. */
export function userText(text: string, extra: Record<string, unknown> = {}): object {
  return {
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
    ...extra,
  };
}

/** Base64 PCM16 silence of `ms` at 24 kHz. */
export function pcmSilence(ms: number): string {
  return Buffer.alloc(ms * 48).toString('base64');
}
