/**
 * The Prometheus registry (prom-client) behind `GET /metrics`: per-stage turn latency, barge-in
 * stop time, the VAD's queue, sessions, responses, errors sent, provider failures and LLM
 * fallbacks, backpressure, and the process's own metrics (CPU, RSS, event-loop lag). Labels are
 * bounded sets (stage, provider, reason, status, error code, transport, sample rate): never a
 * session or response id.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';
import type { AdmissionRefusal, LoadSignal } from './admission.js';
import type { ServerEvent } from '../../protocol/realtime/index.js';
import type { ProviderMetrics, ProviderStage } from '../providers/instrument.js';
import type { VadRun } from '../providers/types.js';
import type { TurnLatency } from '../session/realtime-session.js';

/** Prefix of the gateway's own metric names. */
const PREFIX = 'realtime_gateway_';

/**
 * Seconds; from 5 ms (a stage that was ready first) to 10 s (a stalled provider past its
 * deadline). The spacing is densest at 0.1 to 1 s, where voice turn latencies live.
 */
const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10];

/**
 * Seconds a VAD window waited for the model: a run answers in a few ms on an idle gateway, and the
 * waits that matter under load are tens to hundreds of ms. The top bucket is 10 s, the order of
 * a session's VAD restart (10 s of its audio waiting): with 5 s on top, a saturated gateway only
 * read "over 5 s".
 */
const VAD_QUEUE_BUCKETS_S = [
  0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5, 10,
];
/** Windows per VAD model run: one stream's single window up to thousands after a stall. */
const VAD_RUN_WINDOWS_BUCKETS = exponentialBuckets(1, 2, 14);

/** The parts of `TurnLatency` exported as stages, with their label. */
const STAGES: readonly [keyof TurnLatency, string][] = [
  ['vadWaitMs', 'vad_wait'],
  ['sttFinalMs', 'stt_final'],
  ['llmFirstTokenMs', 'llm_first_token'],
  ['sentenceWaitMs', 'sentence_wait'],
  ['ttsFirstAudioMs', 'tts_first_audio'],
  ['gatewayOverheadMs', 'gateway_overhead'],
];

/** How a session reached the gateway: a Realtime WebSocket client, or a telephony bridge. */
export type SessionTransport = 'websocket' | 'twilio';

/** Why a session was refused. */
export type RefusalReason = AdmissionRefusal;

/** Why the event writer acted on a slow reader. */
export type BackpressureAction = 'paused' | 'closed';

/** The gateway's metrics. */
export class GatewayMetrics implements ProviderMetrics {
  readonly registry = new Registry();
  private readonly sessionsActive: Gauge<'transport'>;
  private readonly sessionsTotal: Counter<'transport'>;
  private readonly sessionsRefused: Counter<'reason'>;
  private readonly turnStage: Histogram<'stage' | 'speculative'>;
  private readonly endToFirstAudio: Histogram<'speculative'>;
  private readonly bargeInStop: Histogram;
  private readonly responses: Counter<'status'>;
  private readonly errorsSent: Counter<'code'>;
  private readonly providerErrors: Counter<'stage' | 'provider'>;
  private readonly fallbacks: Counter<'provider' | 'reason'>;
  private readonly served: Counter<'provider'>;
  private readonly connections: Counter<'provider'>;
  private readonly backpressure: Counter<'action'>;
  private readonly contextCuts: Counter;
  private readonly vadQueue: Histogram<'sample_rate_hz'>;
  private readonly vadRunWindows: Histogram<'sample_rate_hz'>;
  /** What the load gauge reads; none until the gateway watches its load. */
  private load: LoadSignal | null = null;

  constructor(opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.sessionsActive = new Gauge({
      name: `${PREFIX}sessions_active`,
      help: 'Open sessions.',
      labelNames: ['transport'],
      registers,
    });
    this.sessionsTotal = new Counter({
      name: `${PREFIX}sessions_total`,
      help: 'Sessions opened.',
      labelNames: ['transport'],
      registers,
    });
    this.sessionsRefused = new Counter({
      name: `${PREFIX}sessions_refused_total`,
      help: 'Connections refused: a session cap reached, the event loop saturated (overloaded), or the gateway draining.',
      labelNames: ['reason'],
      registers,
    });
    this.turnStage = new Histogram({
      name: `${PREFIX}turn_stage_seconds`,
      help: 'Where the time went in a server-VAD turn, from the end of speech to the first audio, per stage. With speculative="true" the stages overlap the VAD wait and stt_final counts from the end of speech.',
      labelNames: ['stage', 'speculative'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.endToFirstAudio = new Histogram({
      name: `${PREFIX}end_of_speech_to_first_audio_seconds`,
      help: "From the end of the user's speech (real time) to the first audio delta sent.",
      labelNames: ['speculative'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.bargeInStop = new Histogram({
      name: `${PREFIX}barge_in_stop_seconds`,
      help: 'Barge-in: from the start of the user speech (the wall time its audio arrived) to the interrupted answer being stopped; VAD detection time included.',
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.responses = new Counter({
      name: `${PREFIX}responses_total`,
      help: 'Responses ended, by response.done status.',
      labelNames: ['status'],
      registers,
    });
    this.errorsSent = new Counter({
      name: `${PREFIX}errors_sent_total`,
      help: 'Realtime error events sent to clients, by error code.',
      labelNames: ['code'],
      registers,
    });
    this.providerErrors = new Counter({
      name: `${PREFIX}provider_errors_total`,
      help: "Provider streams that failed (not by the gateway's own abort), by stage and provider.",
      labelNames: ['stage', 'provider'],
      registers,
    });
    this.fallbacks = new Counter({
      name: `${PREFIX}llm_fallbacks_total`,
      help: 'LLM providers skipped for the next one in the chain, by provider and reason.',
      labelNames: ['provider', 'reason'],
      registers,
    });
    this.connections = new Counter({
      name: `${PREFIX}provider_connections_total`,
      help: 'Connections set up or attempted to each provider (TCP, TLS on https/wss links, and a WebSocket upgrade for STT and TTS); kept connections serve many turns.',
      labelNames: ['provider'],
      registers,
    });
    this.served = new Counter({
      name: `${PREFIX}llm_served_total`,
      help: 'LLM generations, by the provider that produced the first token.',
      labelNames: ['provider'],
      registers,
    });
    this.contextCuts = new Counter({
      name: `${PREFIX}llm_context_truncated_total`,
      help: 'LLM requests from which session truncation left out the oldest conversation items.',
      registers,
    });
    this.backpressure = new Counter({
      name: `${PREFIX}outbound_backpressure_total`,
      help: 'Slow readers: a response paused at the high-water mark (paused), or a socket closed at the hard limit (closed).',
      labelNames: ['action'],
      registers,
    });
    this.vadQueue = new Histogram({
      name: `${PREFIX}vad_queue_seconds`,
      help: "Per Silero VAD model run: how long the run's oldest window waited, from being queued for the model to its probability.",
      labelNames: ['sample_rate_hz'],
      buckets: VAD_QUEUE_BUCKETS_S,
      registers,
    });
    this.vadRunWindows = new Histogram({
      name: `${PREFIX}vad_run_windows`,
      help: 'Silero VAD: windows per model run (streams batched, times the steps of streams catching up).',
      labelNames: ['sample_rate_hz'],
      buckets: VAD_RUN_WINDOWS_BUCKETS,
      registers,
    });
    const loadGauge: Gauge = new Gauge({
      name: `${PREFIX}event_loop_utilization`,
      help: 'Share of the last seconds the event loop was busy, 0 to 1; new sessions are refused at MAX_EVENT_LOOP_UTILIZATION.',
      registers,
      collect: () => loadGauge.set(this.load?.read().utilization ?? 0),
    });
    // The process's CPU, RSS, heap, handles and event-loop lag, under prom-client's standard names.
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** A session opened. */
  sessionOpened(transport: SessionTransport): void {
    this.sessionsActive.inc({ transport });
    this.sessionsTotal.inc({ transport });
  }

  /** A session closed; its per-session state is dropped. */
  sessionClosed(transport: SessionTransport): void {
    this.sessionsActive.dec({ transport });
  }

  /** Reports this load as the event-loop utilization gauge. */
  watchLoad(load: LoadSignal): void {
    this.load = load;
  }

  /** A connection was refused. */
  sessionRefused(reason: RefusalReason): void {
    this.sessionsRefused.inc({ reason });
  }

  /** One server-VAD turn's latency breakdown. */
  turnLatency(latency: TurnLatency): void {
    const speculative = String(latency.speculative === true);
    for (const [key, stage] of STAGES)
      this.turnStage.observe({ stage, speculative }, Number(latency[key]) / 1000);
    this.endToFirstAudio.observe(
      { speculative: String(latency.speculative === true) },
      latency.endOfSpeechToFirstAudioMs / 1000,
    );
  }

  /** Sees every server event of a session (GA form). */
  observe(_sessionId: string, event: ServerEvent): void {
    switch (event.type) {
      case 'error':
        this.errorsSent.inc({ code: event.error.code ?? 'unknown' });
        return;
      case 'response.done': {
        const { status } = event.response;
        this.responses.inc({ status });
        return;
      }
    }
  }

  /** A barge-in: from the user's first word (wall time of that audio) to the answer being stopped. */
  bargeIn(stopMs: number): void {
    this.bargeInStop.observe(stopMs / 1000);
  }

  /** Session truncation left items out of an LLM request. */
  contextCut(): void {
    this.contextCuts.inc();
  }

  /** A slow reader paused a response or was disconnected. */
  outboundBackpressure(action: BackpressureAction): void {
    this.backpressure.inc({ action });
  }

  providerError(stage: ProviderStage, provider: string): void {
    this.providerErrors.inc({ stage, provider });
  }

  llmFallback(provider: string, reason: 'error' | 'deadline' | 'circuit_open'): void {
    this.fallbacks.inc({ provider, reason });
  }

  llmServed(provider: string): void {
    this.served.inc({ provider });
  }

  connectionOpened(provider: string): void {
    this.connections.inc({ provider });
  }

  vadRun(run: VadRun): void {
    const labels = { sample_rate_hz: String(run.sampleRate) };
    this.vadQueue.observe(labels, run.queuedMs / 1000);
    this.vadRunWindows.observe(labels, run.windows);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
