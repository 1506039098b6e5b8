/**
 * Voice latency through the whole gateway, in real time:
 * `npx tsx scripts/bench-latency.ts [--sessions S] [--turns N] [--barge-ins B] [--json FILE]`.
 *
 * The provider emulators run at their default latency profile, with Silero VAD and the gateway, in
 * this process on loopback. S concurrent clients each stream N voice turns of real speech (espeak-ng
 * fixtures) as 20 ms appends paced by the wall clock, silence between turns included, as a
 * microphone would: (a) `audio/pcm` 24 kHz in and out, (b) G.711 μ-law 8 kHz in and out, both with
 * server VAD, `silence_duration_ms` 500. Per configuration it prints p50/p95 of the end of speech to
 * the first audio delta, as the session measures it (split into VAD wait, STT final, LLM first
 * token, sentence wait, TTS first audio and the gateway's own time) and as the client sees it (last
 * speech sample sent to first `response.output_audio.delta` received).
 * Then a barge-in phase: a long spoken answer, interrupted by real speech; how long audio deltas of
 * the cancelled response kept coming after `input_audio_buffer.speech_started`, at the gateway (its
 * event observer) and at the client.
 * Each format is measured with speculative turn start on and off (SPECULATIVE_TURN_START).
 * With `--twilio`, a phone phase follows: S emulated Twilio calls (signed webhook, Media Stream,
 * 20 ms μ-law frames every 20 ms), N turns each, timed from the caller's last speech frame to the
 * first outbound `media` frame, printed beside the Realtime path's figures.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { encodeMulaw } from '../src/audio/g711.js';
import { resamplePcm16 } from '../src/audio/resampler.js';
import { loadConfig } from '../src/config.js';
import { DEFAULT_CARTESIA_LATENCY } from '../src/emulators/cartesia/index.js';
import { DEFAULT_DEEPGRAM_LATENCY } from '../src/emulators/deepgram/index.js';
import { DEFAULT_LLM_LATENCY } from '../src/emulators/llm/index.js';
import { assembleProviders } from '../src/main.js';
import { createGateway } from '../src/server/gateway.js';
import type { TurnLatency } from '../src/session/realtime-session.js';
import { STAGE_FIELDS } from './capacity/stages.js';
import type { StageField } from './capacity/stages.js';
import { SILENT_LOGGER } from '../src/util/log.js';
import { SPEECH_FIXTURES, loadSpeech } from '../test/fixtures/speech/index.js';
import type { SpeechFixtureName } from '../test/fixtures/speech/index.js';
import { fmt, stats } from './latency/stats.js';
import { PacedTicker } from './latency/paced.js';
import { twilioPhase } from './latency/twilio-phase.js';
import type { TwilioPhaseResult } from './latency/twilio-phase.js';
import type { Stats } from './latency/stats.js';

// ---- arguments -------------------------------------------------------------------------------

const args = process.argv.slice(2);
function intArg(name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const v = Number(args[at + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive integer`);
  return v;
}
const SESSIONS = intArg('--sessions', 5);
const TURNS = intArg('--turns', 10);
const BARGE_INS = intArg('--barge-ins', 20);
const jsonAt = args.indexOf('--json');
const JSON_FILE = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
if (jsonAt >= 0 && !JSON_FILE) throw new Error('--json needs a file name');
const TWILIO = args.includes('--twilio');
/** Signs the emulated Twilio's requests; any value works, as long as both sides share it. */
const TWILIO_AUTH_TOKEN = 'bench-twilio-token';

// ---- constants -------------------------------------------------------------------------------

/** One append: 20 ms of audio, as Realtime clients send it. */
const CHUNK_MS = 20;
/** Turn detection of every session (the targets are stated for 500 ms of silence). */
const VAD = { type: 'server_vad', silence_duration_ms: 500, prefix_padding_ms: 300 } as const;
/** How long a client waits for a turn's response before counting the turn failed. */
const RESPONSE_TIMEOUT_MS = 20_000;
/** Pause after an answer has finished playing before the user speaks again. */
const TURN_GAP_MS = 400;
/** Sessions start this far apart so their turns do not end in lockstep. */
const SESSION_STAGGER_MS = 370;
/** Utterances the voice turns cycle through (English speech; their texts are the STT script). */
const TURN_FIXTURES: { name: SpeechFixtureName; text: string }[] = [
  { name: 'en-weather', text: 'What is the weather like in Paris today?' },
  { name: 'en-hello', text: 'Hello there.' },
  { name: 'inner-pause', text: 'I would like a coffee with milk.' },
];
/** The long text the barge-in answer echoes (52 words in four sentences: about 15 s of speech). */
const LONG_TEXT =
  'Please tell me everything about the old harbour town. I want to hear about the boats and the ' +
  'fishermen who sail them every morning. Describe the market by the water and the smell of fresh ' +
  'bread. Then tell me about the lighthouse on the hill and the keeper who lives there alone.';
/** Sampling interval of the event-loop delay monitor. */
const ELD_RESOLUTION_MS = 5;
/** The targets. */
const TARGET_P50_WITH_SPECULATION_MS = 560;
const TARGET_GATEWAY_OVERHEAD_P50_MS = 5;
const TARGET_BARGE_IN_MS = 30;

// ---- small helpers ---------------------------------------------------------------------------

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** A received server event and when it arrived (audio payloads reduced to their byte count). */
interface Got {
  type: string;
  at: number;
  e: Record<string, unknown>;
  bytes: number;
}

/** A Realtime client over `ws` that timestamps every event on arrival. */
class Client {
  readonly got: Got[] = [];
  private waiters: { pred: (g: Got) => boolean; resolve: (g: Got) => void }[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const at = performance.now();
      const e = JSON.parse(data.toString()) as Record<string, unknown>;
      let bytes = 0;
      if (e.type === 'response.output_audio.delta' && typeof e.delta === 'string') {
        bytes = Buffer.byteLength(e.delta, 'base64');
        delete e.delta;
      }
      const g: Got = { type: String(e.type), at, e, bytes };
      this.got.push(g);
      this.waiters = this.waiters.filter((w) => (w.pred(g) ? (w.resolve(g), false) : true));
    });
  }

  static async connect(url: string): Promise<Client> {
    const ws = new WebSocket(url);
    // Listen before `open`: session.created may arrive in the same read as the upgrade response.
    const client = new Client(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  send(event: object): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(event));
  }

  /** The first event from index `from` on that matches; rejects after `timeoutMs`. */
  waitFor(pred: (g: Got) => boolean, from: number, timeoutMs: number, what: string): Promise<Got> {
    const found = this.got.slice(from).find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const done = (g: Got) => {
        clearTimeout(timer);
        resolve(g);
      };
      this.waiters.push({ pred, resolve: done });
    });
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000, 'OK');
    });
  }
}

/** An utterance ready to stream: encoded bytes and the byte offset where its speech ends. */
interface Utterance {
  bytes: Uint8Array;
  speechEndByte: number;
}

/** The audio format of one configuration. */
interface Format {
  name: string;
  type: 'audio/pcm' | 'audio/pcmu';
  bytesPerMs: number;
  silenceByte: number;
  encode: (name: SpeechFixtureName) => Utterance;
}

const PCM24: Format = {
  name: 'audio/pcm 24 kHz',
  type: 'audio/pcm',
  bytesPerMs: 48,
  silenceByte: 0,
  encode: (name) => {
    const pcm = resamplePcm16(loadSpeech(name, 16_000), 16_000, 24_000);
    return {
      bytes: new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength),
      speechEndByte: endMs(name) * 48,
    };
  },
};
const PCMU8: Format = {
  name: 'G.711 μ-law 8 kHz',
  type: 'audio/pcmu',
  bytesPerMs: 8,
  // μ-law's code for zero.
  silenceByte: 0xff,
  encode: (name) => ({ bytes: encodeMulaw(loadSpeech(name, 8_000)), speechEndByte: endMs(name) * 8 }),
};

/** Where the fixture's last speech span ends (measured, fixtures.json). */
function endMs(name: SpeechFixtureName): number {
  const spans = SPEECH_FIXTURES[name].speechMs;
  const last = spans[spans.length - 1];
  if (!last) throw new Error(`fixture ${name} has no speech`);
  return last[1];
}

/**
 * A microphone: one 20 ms append every 20 ms of wall time, scheduled from its start (late timers
 * are caught up at once, so it never drifts), carrying queued speech or else silence.
 */
class Mic {
  private queue: {
    u: Utterance;
    sent: number;
    onStart: (timelineMs: number) => void;
    onEnd: (at: number) => void;
    onDone: () => void;
  }[] = [];
  private readonly ticker = new PacedTicker(CHUNK_MS, (n, late) => {
    this.lateness.push(late);
    this.sendChunk(n);
  });
  readonly lateness: number[] = [];
  private readonly chunkBytes: number;
  private readonly silence: Uint8Array;

  constructor(
    private readonly c: Client,
    f: Format,
  ) {
    this.chunkBytes = f.bytesPerMs * CHUNK_MS;
    this.silence = new Uint8Array(this.chunkBytes).fill(f.silenceByte);
  }

  start(): void {
    this.ticker.start();
  }

  /**
   * Queues an utterance. Resolves where it starts on the input audio timeline (ms since the first
   * append), when its last speech sample was sent, and when all of it was.
   */
  play(u: Utterance): {
    startMs: Promise<number>;
    speechEndSentAt: Promise<number>;
    finished: Promise<void>;
  } {
    let onStart!: (timelineMs: number) => void;
    let onEnd!: (at: number) => void;
    let onDone!: () => void;
    const startMs = new Promise<number>((r) => (onStart = r));
    const speechEndSentAt = new Promise<number>((r) => (onEnd = r));
    const finished = new Promise<void>((r) => (onDone = r));
    this.queue.push({ u, sent: 0, onStart, onEnd, onDone });
    return { startMs, speechEndSentAt, finished };
  }

  stop(): void {
    this.ticker.stop();
  }

  private sendChunk(n: number): void {
    const head = this.queue[0];
    let chunk = this.silence;
    if (head) {
      const from = head.sent;
      if (from === 0) head.onStart(n * CHUNK_MS);
      const to = Math.min(from + this.chunkBytes, head.u.bytes.byteLength);
      chunk = new Uint8Array(this.chunkBytes).fill(this.silence[0]!);
      chunk.set(head.u.bytes.subarray(from, to));
      head.sent = to;
    }
    this.c.send({ type: 'input_audio_buffer.append', audio: Buffer.from(chunk).toString('base64') });
    if (!head) return;
    const at = performance.now();
    const end = head.u.speechEndByte;
    if (head.sent >= end && head.sent - this.chunkBytes < end) head.onEnd(at);
    if (head.sent >= head.u.bytes.byteLength) {
      this.queue.shift();
      head.onDone();
    }
  }
}

/** Server events seen by the gateway's observer (emission times), for the barge-in figures. */
interface Observed {
  type: string;
  at: number;
  responseId?: string;
  itemId?: string;
}

// ---- the run ---------------------------------------------------------------------------------

const config = loadConfig({
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  // The emulators and the callers share this process's event loop: their work is not gateway load.
  MAX_EVENT_LOOP_UTILIZATION: '0',
  TWILIO_AUTH_TOKEN,
  // Calls get the same turn detection as the Realtime sessions, so the paths compare like for like.
  TWILIO_AGENT: JSON.stringify({ session: { type: 'realtime', audio: { input: { turn_detection: VAD } } } }),
});
const script = Array.from({ length: 5_000 }, (_, i) => TURN_FIXTURES[i % TURN_FIXTURES.length]!.text);
const providers = await assembleProviders(config.providers, SILENT_LOGGER, {
  fast: false,
  sttScript: script,
});
const serverTurns: TurnLatency[] = [];
const observed = new Map<string, Observed[]>();
const gateway = createGateway({
  config,
  log: SILENT_LOGGER,
  stages: providers.stages,
  resolveVoice: providers.resolveVoice,
  onTurnLatency: (_id, l) => serverTurns.push(l),
  observer: (sessionId, event) => {
    const e = event as unknown as Record<string, unknown>;
    if (e.type !== 'input_audio_buffer.speech_started' && e.type !== 'response.output_audio.delta') return;
    const list = observed.get(sessionId) ?? [];
    observed.set(sessionId, list);
    list.push({
      type: e.type,
      at: performance.now(),
      responseId: e.response_id as string | undefined,
      itemId: e.item_id as string | undefined,
    });
  },
});
const { url } = await gateway.listen();

/** Opens a session in format `f` with server VAD and a running microphone. */
async function openSession(f: Format): Promise<{ c: Client; id: string; mic: Mic }> {
  const c = await Client.connect(url);
  const created = await c.waitFor((g) => g.type === 'session.created', 0, 5_000, 'session.created');
  const id = (created.e.session as { id: string }).id;
  c.send({
    type: 'session.update',
    session: {
      type: 'realtime',
      output_modalities: ['audio'],
      audio: {
        input: { format: { type: f.type }, turn_detection: VAD, transcription: { model: 'nova-3' } },
        output: { format: { type: f.type } },
      },
    },
  });
  await c.waitFor((g) => g.type === 'session.updated', 0, 5_000, 'session.updated');
  const mic = new Mic(c, f);
  mic.start();
  return { c, id, mic };
}

/** Runs `body` on a new session; a failure to open or an escaped error is recorded, never thrown. */
async function withSession(
  f: Format,
  mics: Mic[],
  failures: string[],
  label: string,
  body: (s: { c: Client; id: string; mic: Mic }) => Promise<void>,
): Promise<void> {
  let opened;
  try {
    opened = await openSession(f);
  } catch (err) {
    failures.push(`${label}: cannot open the session: ${(err as Error).message}`);
    return;
  }
  mics.push(opened.mic);
  try {
    await body(opened);
  } catch (err) {
    failures.push(`${label}: ${(err as Error).message}`);
  } finally {
    opened.mic.stop();
    await opened.c.close();
  }
}

/** Waits for response `id` to end, then until its audio has played out at the client, plus a pause. */
async function awaitPlayback(c: Client, from: number, id: string, f: Format): Promise<Got> {
  const done = await c.waitFor(
    (g) => g.type === 'response.done' && (g.e.response as { id: string }).id === id,
    from,
    RESPONSE_TIMEOUT_MS,
    'response.done',
  );
  const deltas = c.got
    .slice(from)
    .filter((g) => g.type === 'response.output_audio.delta' && g.e.response_id === id);
  const first = deltas[0];
  const audioMs = deltas.reduce((n, g) => n + g.bytes, 0) / f.bytesPerMs;
  if (first) await sleep(first.at + audioMs - performance.now());
  await sleep(TURN_GAP_MS);
  return done;
}

/** Resource figures over one phase: event-loop delay, microphone lateness, CPU. */
interface PhaseLoad {
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  appendLatenessMs: Stats;
  cpuCoresUsed: number;
}
async function measured<T>(run: (mics: Mic[]) => Promise<T>): Promise<{ result: T; load: PhaseLoad }> {
  const h = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const mics: Mic[] = [];
  h.enable();
  const result = await run(mics);
  h.disable();
  const cpu = process.cpuUsage(cpu0);
  // The histogram holds the intervals between its samples: the delay is what exceeds the interval.
  const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - ELD_RESOLUTION_MS) * 100) / 100);
  return {
    result,
    load: {
      eventLoopDelayMs: { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) },
      appendLatenessMs: stats(mics.flatMap((m) => m.lateness)),
      cpuCoresUsed: Math.round(((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100) / 100,
    },
  };
}

/** Each part of the session's latency split, summarised over `turns`. */
function splitStats(turns: TurnLatency[]): Record<StageField, Stats> {
  return Object.fromEntries(STAGE_FIELDS.map((k) => [k, stats(turns.map((l) => l[k]))])) as Record<
    StageField,
    Stats
  >;
}

interface ConfigResult {
  name: string;
  turnsAttempted: number;
  server: Record<StageField, Stats>;
  clientEndOfSpeechToFirstAudioMs: Stats;
  /** speech_stopped.audio_end_ms minus the silence window, minus the fixture's measured speech end. */
  vadSpeechEndAfterFixtureEndMs: Stats;
  failures: string[];
  load: PhaseLoad;
}

async function voiceConfig(f: Format): Promise<ConfigResult> {
  const utterances = TURN_FIXTURES.map((t) => f.encode(t.name));
  const clientMs: number[] = [];
  const vadEndOffset: number[] = [];
  const failures: string[] = [];
  const firstServer = serverTurns.length;
  const { load } = await measured(async (mics) => {
    await Promise.all(
      Array.from({ length: SESSIONS }, async (_, s) => {
        await sleep(s * SESSION_STAGGER_MS);
        await withSession(f, mics, failures, `session ${s}`, async ({ c, mic }) => {
          for (let t = 0; t < TURNS; t++) {
            const from = c.got.length;
            const which = (s + t) % utterances.length;
            const play = mic.play(utterances[which]!);
            try {
              const created = await c.waitFor(
                (g) => g.type === 'response.created',
                from,
                RESPONSE_TIMEOUT_MS,
                'response.created',
              );
              const id = (created.e.response as { id: string }).id;
              const done = await awaitPlayback(c, from, id, f);
              const status = (done.e.response as { status: string }).status;
              const errors = c.got.slice(from).filter((g) => g.type === 'error');
              const first = c.got
                .slice(from)
                .find((g) => g.type === 'response.output_audio.delta' && g.e.response_id === id);
              if (errors.length)
                failures.push(`session ${s} turn ${t}: error ${JSON.stringify(errors[0]!.e.error)}`);
              else if (status !== 'completed') failures.push(`session ${s} turn ${t}: response ${status}`);
              else if (!first) failures.push(`session ${s} turn ${t}: no audio delta`);
              else clientMs.push(first.at - (await play.speechEndSentAt));
              const stopped = c.got.slice(from).find((g) => g.type === 'input_audio_buffer.speech_stopped');
              if (stopped) {
                // audio_end_ms includes the silence window (up to one 32 ms VAD window more).
                const fixtureEnd = (await play.startMs) + endMs(TURN_FIXTURES[which]!.name);
                vadEndOffset.push((stopped.e.audio_end_ms as number) - VAD.silence_duration_ms - fixtureEnd);
              }
            } catch (err) {
              failures.push(`session ${s} turn ${t}: ${(err as Error).message}`);
            }
            await play.finished;
          }
        });
      }),
    );
  });
  const server = splitStats(serverTurns.slice(firstServer));
  return {
    name: f.name,
    turnsAttempted: SESSIONS * TURNS,
    server,
    clientEndOfSpeechToFirstAudioMs: stats(clientMs),
    vadSpeechEndAfterFixtureEndMs: stats(vadEndOffset),
    failures,
    load,
  };
}

interface BargeInResult {
  attempted: number;
  serverGapMs: Stats;
  clientGapMs: Stats;
  /** Speech start decided to response.done received (client). */
  clientCancelMs: Stats;
  /** Audio of the cancelled response the client had received (ms of audio): the cut was mid-answer. */
  audioBeforeCutMs: Stats;
  failures: string[];
  load: PhaseLoad;
}

async function bargeIns(f: Format): Promise<BargeInResult> {
  const hello = f.encode('en-hello');
  const serverGap: number[] = [];
  const clientGap: number[] = [];
  const clientCancel: number[] = [];
  const audioBeforeCut: number[] = [];
  const failures: string[] = [];
  const perSession = Array.from(
    { length: SESSIONS },
    (_, s) => Math.floor(BARGE_INS / SESSIONS) + (s < BARGE_INS % SESSIONS ? 1 : 0),
  );
  const { load } = await measured(async (mics) => {
    await Promise.all(
      perSession.map(async (count, s) => {
        if (count === 0) return;
        await sleep(s * SESSION_STAGGER_MS);
        await withSession(f, mics, failures, `session ${s}`, async ({ c, id: sessionId, mic }) => {
          for (let b = 0; b < count; b++) {
            const from = c.got.length;
            c.send({
              type: 'conversation.item.create',
              item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: LONG_TEXT }] },
            });
            c.send({ type: 'response.create' });
            let play: ReturnType<Mic['play']> | null = null;
            try {
              const created = await c.waitFor(
                (g) => g.type === 'response.created',
                from,
                RESPONSE_TIMEOUT_MS,
                'response.created',
              );
              const id = (created.e.response as { id: string }).id;
              const isOurs = (g: Got) => g.type === 'response.output_audio.delta' && g.e.response_id === id;
              await c.waitFor(isOurs, from, RESPONSE_TIMEOUT_MS, 'first audio delta');
              // Interrupt at a different point of the answer each time.
              await sleep(100 + Math.random() * 400);
              play = mic.play(hello);
              const started = await c.waitFor(
                (g) => g.type === 'input_audio_buffer.speech_started',
                from,
                RESPONSE_TIMEOUT_MS,
                'speech_started',
              );
              const done = await c.waitFor(
                (g) => g.type === 'response.done' && (g.e.response as { id: string }).id === id,
                from,
                RESPONSE_TIMEOUT_MS,
                'response.done',
              );
              const status = (done.e.response as { status: string }).status;
              // A delta arriving after response.done would be a bug: give any a moment to show up.
              await sleep(100);
              const last = c.got.slice(from).filter(isOurs).pop()!;
              if (status !== 'cancelled') {
                failures.push(`session ${s} barge-in ${b}: response ${status} before the user spoke`);
              } else {
                clientGap.push(last.at - started.at);
                clientCancel.push(done.at - started.at);
                const bytes = c.got.slice(from).reduce((n, g) => n + (isOurs(g) ? g.bytes : 0), 0);
                audioBeforeCut.push(bytes / f.bytesPerMs);
                const seen = observed.get(sessionId) ?? [];
                const decided = seen.find(
                  (o) => o.type === 'input_audio_buffer.speech_started' && o.itemId === started.e.item_id,
                );
                const lastSent = seen.filter((o) => o.responseId === id).pop();
                if (decided && lastSent) serverGap.push(lastSent.at - decided.at);
              }
              // The interruption is a turn of its own: let its answer play before the next one.
              const next = await c.waitFor(
                (g) => g.type === 'response.created' && (g.e.response as { id: string }).id !== id,
                from,
                RESPONSE_TIMEOUT_MS,
                'the answer to the interruption',
              );
              await awaitPlayback(c, from, (next.e.response as { id: string }).id, f);
            } catch (err) {
              failures.push(`session ${s} barge-in ${b}: ${(err as Error).message}`);
            }
            if (play) await play.finished;
          }
        });
      }),
    );
  });
  return {
    attempted: BARGE_INS,
    serverGapMs: stats(serverGap),
    clientGapMs: stats(clientGap),
    clientCancelMs: stats(clientCancel),
    audioBeforeCutMs: stats(audioBeforeCut),
    failures,
    load,
  };
}

// ---- report ----------------------------------------------------------------------------------

const LABELS: [StageField, string][] = [
  ['vadWaitMs', '  VAD wait'],
  ['sttFinalMs', '  STT final'],
  ['llmFirstTokenMs', '  LLM first token'],
  ['sentenceWaitMs', '  sentence wait'],
  ['ttsFirstAudioMs', '  TTS first audio'],
  ['gatewayOverheadMs', '  gateway overhead'],
];
const row = (label: string, s: Stats) =>
  `${label.padEnd(46)}${fmt(s.p50).padStart(9)}${fmt(s.p95).padStart(9)}${fmt(s.max).padStart(9)}${String(s.n).padStart(6)}`;
const header = `${'ms'.padEnd(46)}${'p50'.padStart(9)}${'p95'.padStart(9)}${'max'.padStart(9)}${'n'.padStart(6)}`;
const loadLine = (l: PhaseLoad) =>
  `load: CPU ${l.cpuCoresUsed} cores of ${os.cpus().length}; event-loop delay p50 ${l.eventLoopDelayMs.p50} ` +
  `p99 ${l.eventLoopDelayMs.p99} max ${l.eventLoopDelayMs.max} ms; append lateness p50 ` +
  `${fmt(l.appendLatenessMs.p50)} p95 ${fmt(l.appendLatenessMs.p95)} max ${fmt(l.appendLatenessMs.max)} ms`;
const verdict = (value: number | null, target: number) =>
  value === null ? 'NOT MEASURED' : value <= target ? 'met' : 'NOT met';

const runStart = performance.now();
const baselineMs =
  VAD.silence_duration_ms +
  DEFAULT_DEEPGRAM_LATENCY.sttFinalMs +
  DEFAULT_LLM_LATENCY.firstTokenMs +
  DEFAULT_CARTESIA_LATENCY.firstAudioMs;
console.log('Voice latency benchmark: gateway + Silero VAD + provider emulators in this process, loopback');
console.log(
  `emulator profile: STT final ${DEFAULT_DEEPGRAM_LATENCY.sttFinalMs} ms after end of speech; LLM first token ` +
    `${DEFAULT_LLM_LATENCY.firstTokenMs} ms, ${DEFAULT_LLM_LATENCY.tokensPerSecond} tokens/s; TTS first audio ` +
    `${DEFAULT_CARTESIA_LATENCY.firstAudioMs} ms, ${DEFAULT_CARTESIA_LATENCY.realtimeFactor}x real time`,
);
console.log(
  `clients: ${SESSIONS} concurrent sessions x ${TURNS} turns per configuration, 20 ms appends in real time; ` +
    `server_vad silence_duration_ms ${VAD.silence_duration_ms}, prefix_padding_ms ${VAD.prefix_padding_ms}`,
);
console.log('speculation: each format with speculative turn start on, then off');
console.log(`Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'})`);

const configs: (ConfigResult & { speculation: boolean })[] = [];
let bargeIn: BargeInResult | null = null;
let twilio: (TwilioPhaseResult & { server: Record<StageField, Stats> }) | null = null;
try {
  for (const [f, speculation] of [
    [PCM24, true],
    [PCM24, false],
    [PCMU8, true],
    [PCMU8, false],
  ] as const) {
    // Read by the gateway for each new session.
    config.speculativeTurnStart = speculation;
    const r = { ...(await voiceConfig(f)), speculation };
    configs.push(r);
    console.log(`\n== ${r.name}, server_vad 500 ms, speculation ${speculation ? 'on' : 'off'} ==`);
    console.log(header);
    console.log(row('end of speech -> first audio delta (server)', r.server.endOfSpeechToFirstAudioMs));
    for (const [k, label] of LABELS) console.log(row(label, r.server[k]));
    console.log(row('last speech sample sent -> first delta (client)', r.clientEndOfSpeechToFirstAudioMs));
    console.log(row('audio_end_ms - 500 - fixture speech end', r.vadSpeechEndAfterFixtureEndMs));
    console.log(
      `turns: ${r.turnsAttempted} attempted, ${r.server.endOfSpeechToFirstAudioMs.n} measured at the server, ` +
        `${r.clientEndOfSpeechToFirstAudioMs.n} at the client, ${r.failures.length} failed`,
    );
    for (const fail of r.failures.slice(0, 10)) console.log(`  failed: ${fail}`);
    console.log(loadLine(r.load));
  }
  if (TWILIO) {
    config.speculativeTurnStart = true;
    const first = serverTurns.length;
    const r = await twilioPhase({
      baseUrl: url.replace(/^ws/, 'http').replace(/\/v1\/realtime$/, ''),
      authToken: TWILIO_AUTH_TOKEN,
      calls: SESSIONS,
      turns: TURNS,
      fixtures: TURN_FIXTURES.map((t) => t.name),
    });
    twilio = { ...r, server: splitStats(serverTurns.slice(first)) };
    console.log(`\n== Twilio Media Streams, G.711 μ-law 8 kHz, server_vad 500 ms, speculation on ==`);
    console.log(header);
    console.log(row('end of speech -> first audio delta (server)', twilio.server.endOfSpeechToFirstAudioMs));
    for (const [k, label] of LABELS) console.log(row(label, twilio.server[k]));
    console.log(row('caller last speech frame -> first media frame', twilio.callerEndOfSpeechToFirstMediaMs));
    console.log(row('webhook -> first greeting media frame', twilio.webhookToFirstGreetingMediaMs));
    console.log(
      `turns: ${twilio.turnsAttempted} attempted, ${twilio.callerEndOfSpeechToFirstMediaMs.n} measured, ` +
        `${twilio.failures.length} failed`,
    );
    for (const fail of twilio.failures.slice(0, 10)) console.log(`  failed: ${fail}`);
    console.log('\n== paths side by side (speculation on; p50 / p95 ms) ==');
    const side = (label: string, x: Stats) => console.log(`${label.padEnd(70)}${fmt(x.p50)} / ${fmt(x.p95)}`);
    for (const r of configs.filter((c) => c.speculation)) {
      side(`Realtime ${r.name}: end of speech -> first audio (server)`, r.server.endOfSpeechToFirstAudioMs);
      side(`Realtime ${r.name}: last speech sent -> first delta (client)`, r.clientEndOfSpeechToFirstAudioMs);
    }
    side('Twilio: end of speech -> first audio (server)', twilio.server.endOfSpeechToFirstAudioMs);
    side('Twilio: caller last speech frame -> first media frame', twilio.callerEndOfSpeechToFirstMediaMs);
  }
  bargeIn = await bargeIns(PCM24);
  console.log(`\n== barge-in (audio/pcm 24 kHz, interrupt_response) ==`);
  console.log(header);
  console.log(row('speech_started -> last delta of cancelled (server)', bargeIn.serverGapMs));
  console.log(row('speech_started -> last delta of cancelled (client)', bargeIn.clientGapMs));
  console.log(row('speech_started -> response.done cancelled (client)', bargeIn.clientCancelMs));
  console.log(row('answer audio received before the cut (ms of audio)', bargeIn.audioBeforeCutMs));
  console.log(
    `barge-ins: ${bargeIn.attempted} attempted, ${bargeIn.clientGapMs.n} measured, ${bargeIn.failures.length} failed ` +
      '(a negative gap: the last delta left before the decision)',
  );
  for (const fail of bargeIn.failures.slice(0, 10)) console.log(`  failed: ${fail}`);
  console.log(loadLine(bargeIn.load));
} finally {
  await gateway.close();
  await providers.close();
}

const targets = [
  ...configs
    .filter((r) => r.speculation)
    .map((r) => ({
      target: `${r.name}: end of speech -> first audio p50 <= ${TARGET_P50_WITH_SPECULATION_MS} ms with speculation (server)`,
      measured: r.server.endOfSpeechToFirstAudioMs.p50,
      verdict: verdict(r.server.endOfSpeechToFirstAudioMs.p50, TARGET_P50_WITH_SPECULATION_MS),
    })),
  ...configs
    .filter((r) => r.speculation)
    .map((r) => ({
      target: `${r.name}: last speech sample sent -> first audio p50 <= ${TARGET_P50_WITH_SPECULATION_MS} ms with speculation (client)`,
      measured: r.clientEndOfSpeechToFirstAudioMs.p50,
      verdict: verdict(r.clientEndOfSpeechToFirstAudioMs.p50, TARGET_P50_WITH_SPECULATION_MS),
    })),
  ...configs.map((r) => ({
    target: `${r.name} (speculation ${r.speculation ? 'on' : 'off'}): gateway overhead p50 <= ${TARGET_GATEWAY_OVERHEAD_P50_MS} ms`,
    measured: r.server.gatewayOverheadMs.p50,
    verdict: verdict(r.server.gatewayOverheadMs.p50, TARGET_GATEWAY_OVERHEAD_P50_MS),
  })),
  {
    target: `barge-in: last audio delta <= ${TARGET_BARGE_IN_MS} ms after speech_started (server, max)`,
    measured: bargeIn?.serverGapMs.max ?? null,
    verdict: verdict(bargeIn?.serverGapMs.max ?? null, TARGET_BARGE_IN_MS),
  },
  {
    target: `barge-in: last audio delta <= ${TARGET_BARGE_IN_MS} ms after speech_started (client, max)`,
    measured: bargeIn?.clientGapMs.max ?? null,
    verdict: verdict(bargeIn?.clientGapMs.max ?? null, TARGET_BARGE_IN_MS),
  },
];
console.log('\n== targets ==');
for (const t of targets) console.log(`${t.target}: measured ${fmt(t.measured)} ms -> ${t.verdict}`);
console.log(
  `reference: the sequential stack (silence + STT final + LLM first token + TTS first audio) = ${baselineMs} ms`,
);
console.log(`run time ${((performance.now() - runStart) / 1000).toFixed(0)} s`);

if (JSON_FILE) {
  writeFileSync(
    JSON_FILE,
    `${JSON.stringify(
      {
        generatedAt: new Date().toISOString(),
        machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model },
        options: { sessions: SESSIONS, turnsPerSession: TURNS, bargeIns: BARGE_INS, turnDetection: VAD },
        emulatorProfile: {
          deepgram: DEFAULT_DEEPGRAM_LATENCY,
          llm: DEFAULT_LLM_LATENCY,
          cartesia: DEFAULT_CARTESIA_LATENCY,
        },
        speculation: 'each format measured with speculative turn start on and off',
        percentiles: 'linear interpolation between closest ranks',
        configurations: configs,
        bargeIn,
        twilio,
        targets,
        sequentialBaselineMs: baselineMs,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`figures written to ${JSON_FILE}`);
}
