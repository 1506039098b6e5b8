/**
 * The load of the capacity benchmarks: N Realtime sessions over `ws`, each a microphone streaming
 * real speech in real time (20 ms appends, silence between utterances, a turn every 5 to 6 s) and
 * a listener that times, per turn, the end of speech to the first `response.output_audio.delta`.
 *
 * Cheap by design, since it shares two cores with the gateway: every append is serialized once up
 * front (all sessions send the same bytes), and one 5 ms ticker drives every microphone, each on
 * its own phase of the 20 ms clock so sessions do not send in lockstep.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { encodeMulaw } from '../../src/audio/g711.js';
import { resamplePcm16 } from '../../src/audio/resampler.js';
import { SPEECH_FIXTURES, loadSpeech } from '../../test/fixtures/speech/index.js';
import type { SpeechFixtureName } from '../../test/fixtures/speech/index.js';
import { TURN_FIXTURES } from './turns.js';

/** One append: 20 ms of audio, as Realtime telephony and browser clients send it. */
const CHUNK_MS = 20;
/** The microphones' ticker: a quarter of an append, so each session keeps its phase within 5 ms. */
const TICK_MS = 5;
/** Turn detection of every session: the gateway's documented voice-agent setting. */
const TURN_DETECTION = { type: 'server_vad', silence_duration_ms: 500, prefix_padding_ms: 300 } as const;
/** A turn with no audio by then has failed (the baseline answer starts about 0.6 s after speech). */
const NO_AUDIO_TIMEOUT_MS = 10_000;
/** A session that is not ready by then counts as a failed connection. */
const OPEN_TIMEOUT_MS = 15_000;

/** The wire format of a run. */
export type WireFormat = 'pcmu' | 'pcm';

interface FormatSpec {
  type: 'audio/pcmu' | 'audio/pcm';
  bytesPerMs: number;
  silenceByte: number;
  /** Encoded utterance. */
  encode: (name: SpeechFixtureName) => Uint8Array;
  label: string;
}

const FORMATS: Record<WireFormat, FormatSpec> = {
  pcmu: {
    type: 'audio/pcmu',
    bytesPerMs: 8,
    // μ-law's code for zero.
    silenceByte: 0xff,
    encode: (name) => encodeMulaw(loadSpeech(name, 8_000)),
    label: 'G.711 μ-law 8 kHz in and out',
  },
  pcm: {
    type: 'audio/pcm',
    bytesPerMs: 48,
    silenceByte: 0,
    encode: (name) => {
      const pcm = resamplePcm16(loadSpeech(name, 16_000), 16_000, 24_000);
      return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    },
    label: 'PCM16 24 kHz in and out',
  },
};

/** A human label of a format. */
export function formatLabel(f: WireFormat): string {
  return FORMATS[f].label;
}

/** An utterance as ready-to-send appends. */
interface Prepared {
  appends: Buffer[];
  /** Index of the append holding the last speech sample. */
  speechEndAppend: number;
}

function appendOf(bytes: Uint8Array): Buffer {
  return Buffer.from(
    JSON.stringify({ type: 'input_audio_buffer.append', audio: Buffer.from(bytes).toString('base64') }),
  );
}

function prepare(f: FormatSpec, name: SpeechFixtureName): Prepared {
  const bytes = f.encode(name);
  const chunkBytes = f.bytesPerMs * CHUNK_MS;
  const appends: Buffer[] = [];
  for (let at = 0; at < bytes.byteLength; at += chunkBytes) {
    const chunk = new Uint8Array(chunkBytes).fill(f.silenceByte);
    chunk.set(bytes.subarray(at, at + chunkBytes));
    appends.push(appendOf(chunk));
  }
  const spans = SPEECH_FIXTURES[name].speechMs;
  const endMs = spans[spans.length - 1]?.[1];
  if (endMs === undefined) throw new Error(`fixture ${name} has no speech`);
  return { appends, speechEndAppend: Math.floor((endMs - 1) / CHUNK_MS) };
}

/** One measured turn. */
export interface TurnRecord {
  session: number;
  /** When the append holding the last speech sample was sent (performance.now()). */
  speechEndAt: number;
  responseId?: string;
  firstAudioAt?: number;
  status?: string;
}

/** Something that went wrong, as the client saw it. */
export interface Problem {
  at: number;
  /** `refused`: the gateway turned the session away at a cap or under load (not an error of a session it took). */
  kind: 'error_event' | 'response_failed' | 'no_audio' | 'unexpected_close' | 'open_failed' | 'refused';
  detail: string;
}

/** Options of the load. */
export interface LoadOptions {
  url: string;
  format: WireFormat;
  /** A turn starts every this many ms, drawn uniformly per turn. */
  turnPeriodMs: [number, number];
  /**
   * Mean length of a call in ms; 0 or none: a session lasts the whole run. A call hangs up between
   * turns once its length (drawn from 0.5 to 1.5 times the mean) has passed, and a new session
   * takes its place, as calls come and go on a phone line.
   */
  callMs?: number;
}

/** The gateway refused the session (`session_limit_reached`). */
class RefusedError extends Error {}

class Session {
  ws: WebSocket | null = null;
  ready = false;
  closing = false;
  /** performance.now() of append 0; each session has its own phase. */
  t0 = 0;
  /** When the call hangs up (performance.now()); Infinity: never. */
  hangUpAt = Infinity;
  next = 0;
  utterance: { p: Prepared; at: number } | null = null;
  nextTurnAppend = 0;
  turnsStarted = 0;
  open: TurnRecord[] = [];

  constructor(readonly index: number) {}
}

/** The sessions, their microphones and what they measured. */
export class LoadGenerator {
  private readonly sessions: Session[] = [];
  private readonly prepared: Prepared[];
  private readonly silence: Buffer;
  private readonly spec: FormatSpec;
  private ticker: NodeJS.Timeout | null = null;
  private lastTimeoutSweep = 0;
  /** Turns that got their first audio, in order of completion. */
  readonly turns: TurnRecord[] = [];
  readonly problems: Problem[] = [];
  /** Responses cancelled by the next utterance (a barge-in: the answer was still running). */
  cancelled = 0;
  /** Calls that hung up (`callMs`); each is followed by a new session, whose failure is a problem. */
  callsEnded = 0;
  private nextIndex = 0;
  /** Replacements still opening, and hung-up sockets still closing: `closeAll` waits for both. */
  private readonly opening = new Set<Promise<void>>();
  private readonly hungUp = new Set<WebSocket>();
  /** How late each ticker run found its most overdue append (ms), since the last reset. */
  lateness: number[] = [];

  constructor(private readonly opts: LoadOptions) {
    this.spec = FORMATS[opts.format];
    this.prepared = TURN_FIXTURES.map((name) => prepare(this.spec, name));
    this.silence = appendOf(new Uint8Array(this.spec.bytesPerMs * CHUNK_MS).fill(this.spec.silenceByte));
  }

  /** Sessions open and streaming. */
  get active(): number {
    return this.sessions.filter((s) => s.ready && !s.closing).length;
  }

  /** Opens `count` more sessions, `perSecond` at a time; failures are recorded as problems. */
  async addSessions(count: number, perSecond: number): Promise<void> {
    this.ticker ??= setInterval(() => this.tick(), TICK_MS);
    const opening: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const s = new Session(this.nextIndex++);
      this.sessions.push(s);
      opening.push(this.openSession(s));
      await sleep(1000 / perSecond);
    }
    await Promise.all(opening);
  }

  /** Closes every session (a normal close: not a problem) and stops the ticker. */
  async closeAll(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    // A replacement caught mid-handshake would fail for the benchmark's own reason: let it open.
    await Promise.all(this.opening);
    for (const s of this.sessions) s.closing = true;
    const sockets = [...this.sessions.map((s) => s.ws), ...this.hungUp];
    await Promise.all(
      sockets.map(async (ws) => {
        if (!ws || ws.readyState === WebSocket.CLOSED) return;
        const closed = new Promise<void>((r) => ws.once('close', () => r()));
        if (ws.readyState !== WebSocket.CLOSING) ws.close(1000, 'done');
        await Promise.race([closed, sleep(5_000).then(() => ws.terminate())]);
      }),
    );
  }

  private async openSession(s: Session): Promise<void> {
    try {
      const ws = new WebSocket(`${this.opts.url}?model=gpt-realtime`, {
        headers: { Authorization: 'Bearer bench' },
        perMessageDeflate: false,
      });
      s.ws = ws;
      const updated = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('session not ready in time')), OPEN_TIMEOUT_MS);
        ws.on('message', (data: Buffer) => {
          const e = JSON.parse(data.toString()) as Record<string, unknown>;
          if (
            e.type === 'error' &&
            !s.ready &&
            (e.error as { code?: string }).code === 'session_limit_reached'
          ) {
            // Refused at admission: the gateway closes with 1013 next.
            clearTimeout(timer);
            this.problems.push({ at: performance.now(), kind: 'refused', detail: `session ${s.index}` });
            reject(new RefusedError());
          } else if (e.type === 'session.created') ws.send(JSON.stringify(this.sessionUpdate()));
          else if (e.type === 'session.updated' && !s.ready) {
            clearTimeout(timer);
            resolve();
          } else this.onEvent(s, e);
        });
        ws.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        // Closed before it was ready (a refusal has already rejected): not left to the timer.
        ws.once('close', (code) => {
          clearTimeout(timer);
          reject(new Error(`closed (${code}) before the session was ready`));
        });
      });
      ws.on('close', (code, reason) => {
        if (!s.closing)
          this.problems.push({
            at: performance.now(),
            kind: 'unexpected_close',
            detail: `session ${s.index}: ${code} ${reason.toString()}`,
          });
        s.closing = true;
      });
      await updated;
      const period = this.opts.turnPeriodMs;
      // A random phase of the 20 ms clock and a random first turn: sessions spread evenly.
      s.t0 = performance.now() + Math.random() * CHUNK_MS;
      s.nextTurnAppend = Math.floor((Math.random() * period[1]) / CHUNK_MS);
      if (this.opts.callMs) s.hangUpAt = s.t0 + this.opts.callMs * (0.5 + Math.random());
      s.ready = true;
    } catch (err) {
      s.closing = true;
      if (err instanceof RefusedError) return;
      s.ws?.terminate();
      this.problems.push({
        at: performance.now(),
        kind: 'open_failed',
        detail: `session ${s.index}: ${(err as Error).message}`,
      });
    }
  }

  private sessionUpdate(): object {
    const format =
      this.spec.type === 'audio/pcm' ? { type: 'audio/pcm', rate: 24_000 } : { type: this.spec.type };
    return {
      type: 'session.update',
      session: {
        type: 'realtime',
        output_modalities: ['audio'],
        audio: {
          input: { format, turn_detection: TURN_DETECTION, transcription: { model: 'nova-3' } },
          output: { format },
        },
      },
    };
  }

  private onEvent(s: Session, e: Record<string, unknown>): void {
    switch (e.type) {
      case 'response.created': {
        const turn = s.open.find((t) => t.responseId === undefined);
        if (turn) turn.responseId = (e.response as { id: string }).id;
        return;
      }
      case 'response.output_audio.delta': {
        const turn = s.open.find((t) => t.responseId === e.response_id);
        if (turn && turn.firstAudioAt === undefined) {
          turn.firstAudioAt = performance.now();
          this.turns.push(turn);
        }
        return;
      }
      case 'response.done': {
        const r = e.response as { id: string; status: string; status_details?: unknown };
        const i = s.open.findIndex((t) => t.responseId === r.id);
        const turn = s.open[i];
        if (turn) {
          turn.status = r.status;
          s.open.splice(i, 1);
          if (turn.firstAudioAt === undefined && r.status === 'completed')
            this.problems.push({
              at: performance.now(),
              kind: 'no_audio',
              detail: `session ${s.index}: response completed without audio`,
            });
        }
        if (r.status === 'cancelled') this.cancelled++;
        else if (r.status !== 'completed')
          this.problems.push({
            at: performance.now(),
            kind: 'response_failed',
            detail: `session ${s.index}: ${r.status} ${JSON.stringify(r.status_details ?? null)}`,
          });
        return;
      }
      case 'error':
        this.problems.push({
          at: performance.now(),
          kind: 'error_event',
          detail: `session ${s.index}: ${JSON.stringify(e.error)}`,
        });
        return;
    }
  }

  private tick(): void {
    const now = performance.now();
    let worst = 0;
    for (const [slot, s] of this.sessions.entries()) {
      if (!s.ready || s.closing) continue;
      // Between turns, with the last answer done: the caller hangs up and the next call comes in.
      if (now >= s.hangUpAt && !s.utterance && s.open.length === 0) {
        this.hangUp(slot, s);
        continue;
      }
      while (s.t0 + s.next * CHUNK_MS <= now) {
        worst = Math.max(worst, now - (s.t0 + s.next * CHUNK_MS));
        this.sendAppend(s);
        s.next++;
      }
    }
    this.lateness.push(worst);
    if (now - this.lastTimeoutSweep > 1_000) {
      this.lastTimeoutSweep = now;
      for (const s of this.sessions) this.sweepTimeouts(s, now);
    }
  }

  private hangUp(slot: number, s: Session): void {
    s.closing = true;
    const ws = s.ws;
    if (ws) {
      this.hungUp.add(ws);
      ws.once('close', () => this.hungUp.delete(ws));
      ws.close(1000, 'call ended');
    }
    this.callsEnded++;
    const next = new Session(this.nextIndex++);
    this.sessions[slot] = next;
    const opened = this.openSession(next);
    this.opening.add(opened);
    void opened.finally(() => this.opening.delete(opened));
  }

  private sendAppend(s: Session): void {
    if (!s.utterance && s.next >= s.nextTurnAppend) {
      const p = this.prepared[(s.index + s.turnsStarted++) % this.prepared.length]!;
      s.utterance = { p, at: s.next };
      const [lo, hi] = this.opts.turnPeriodMs;
      s.nextTurnAppend = s.next + Math.round((lo + Math.random() * (hi - lo)) / CHUNK_MS);
    }
    const u = s.utterance;
    const i = u ? s.next - u.at : -1;
    s.ws!.send(u ? u.p.appends[i]! : this.silence, { binary: false });
    if (!u) return;
    if (i === u.p.speechEndAppend) s.open.push({ session: s.index, speechEndAt: performance.now() });
    if (i === u.p.appends.length - 1) s.utterance = null;
  }

  private sweepTimeouts(s: Session, now: number): void {
    s.open = s.open.filter((t) => {
      if (t.firstAudioAt !== undefined || now - t.speechEndAt < NO_AUDIO_TIMEOUT_MS) return true;
      this.problems.push({
        at: now,
        kind: 'no_audio',
        detail: `session ${s.index}: no audio ${NO_AUDIO_TIMEOUT_MS} ms after the end of speech`,
      });
      return false;
    });
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** End of speech to first audio of the turns whose first audio arrived in [from, to). */
export function latenciesIn(turns: readonly TurnRecord[], from: number, to: number): number[] {
  return turns
    .filter((t) => t.firstAudioAt !== undefined && t.firstAudioAt >= from && t.firstAudioAt < to)
    .map((t) => t.firstAudioAt! - t.speechEndAt);
}
