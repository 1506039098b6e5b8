/**
 * Entry point: reads configuration once, assembles the provider stages and the gateway, handles
 * signals. The only file that chooses concrete adapters.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from './config.js';
import type { LlmProviderName, ProvidersConfig } from './config.js';
import { pathToFileURL } from 'node:url';
import { startOfflineProviders } from './emulators/offline.js';
import type { OfflineOptions, OfflineProviders } from './emulators/offline.js';
import { AnthropicLlm } from './providers/anthropic/anthropic-llm.js';
import { CartesiaTts } from './providers/cartesia/index.js';
import { CerebrasLlm } from './providers/cerebras/cerebras-llm.js';
import { DeepgramStt } from './providers/deepgram/index.js';
import { GroqLlm } from './providers/groq/groq-llm.js';
import { SileroVad } from './providers/silero/index.js';
import { CircuitBreaker } from './providers/llm-fallback/circuit-breaker.js';
import { FallbackLlm } from './providers/llm-fallback/fallback-llm.js';
import { createNodeFetch } from './providers/llm-common/node-fetch.js';
import type { FetchFunction } from './providers/llm-common/node-fetch.js';
import { instrumentLlm, instrumentStt, instrumentTts } from './providers/instrument.js';
import type { ProviderMetrics } from './providers/instrument.js';
import type { LlmStage, Stages } from './providers/types.js';
import { createGateway } from './server/gateway.js';
import { GatewayMetrics } from './server/metrics.js';
import { createLogger } from './util/log.js';
import { setHeapGrowingPercent } from './util/v8-heap.js';
import type { Logger } from './util/log.js';

/** The emulators accept any key; the adapters still want one. */
const OFFLINE_KEY = 'offline';
/** Cartesia voice ids are UUIDs: one given directly is used as it is. */
const CARTESIA_VOICE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Endpoints and keys the adapters use, after offline mode has started its emulators. */
interface Endpoints {
  key: (name: 'deepgram' | LlmProviderName | 'cartesia') => string;
  baseUrl: (name: 'deepgram' | LlmProviderName | 'cartesia') => string | undefined;
  emulators: OfflineProviders | null;
}

/** The providers, assembled: what the gateway needs, and the emulators when offline. */
export interface AssembledProviders {
  stages: (sessionId: string) => Stages;
  resolveVoice: (voice: string, language: string | undefined) => string;
  /** The running emulators in offline mode (tests inject faults through them); null in cloud mode. */
  emulators: OfflineProviders | null;
  /** VAD streams open now at `sampleRate`: one per session with turn detection, none once it closes. */
  openVadStreams(sampleRate: number): number;
  /** Closes the LLM clients' kept-alive sockets that carry no request (else they close after 30 s idle). */
  closeIdleConnections(): void;
  close(): Promise<void>;
}

/** Starts the emulators if offline, and builds the per-session stage factory. */
export async function assembleProviders(
  p: ProvidersConfig,
  log: Logger,
  offline: OfflineOptions = {},
  /** Where provider failures, fallbacks and who served are counted; none: not counted. */
  metrics?: ProviderMetrics,
): Promise<AssembledProviders> {
  const ep = await endpointsFor(p, offline);
  // One ONNX session for every Realtime session; loading it here makes a broken install fail at start.
  const counted = metrics ?? NO_PROVIDER_METRICS;
  const vad = await SileroVad.load({
    host: p.vadHost,
    maxBatchWaitMs: p.vadBatchWaitMs,
    relaxedBatchWaitMs: p.vadRelaxedWaitMs,
    onRun: (run) => counted.vadRun(run),
  });
  // One connection pool per LLM provider, shared by every session.
  const llmFetch = new Map(
    p.llmOrder.map((name) => [
      name,
      createNodeFetch({ onNewConnection: () => counted.connectionOpened(name) }),
    ]),
  );
  const closeIdleConnections = () => llmFetch.forEach((f) => f.closeIdleConnections());
  return {
    stages: stageFactory(p, ep, vad, log, counted, llmFetch),
    resolveVoice: voiceResolver(p),
    emulators: ep.emulators,
    openVadStreams: (sampleRate) => vad.openStreams(sampleRate),
    closeIdleConnections,
    close: async () => {
      closeIdleConnections();
      await vad.close();
      await ep.emulators?.close();
    },
  };
}

async function endpointsFor(p: ProvidersConfig, offline: OfflineOptions): Promise<Endpoints> {
  if (p.mode === 'cloud') {
    const settings = (name: 'deepgram' | LlmProviderName | 'cartesia') =>
      name === 'deepgram' ? p.deepgram : name === 'cartesia' ? p.cartesia : p.llm[name];
    return {
      key: (name) => settings(name).apiKey ?? '',
      baseUrl: (name) => settings(name).baseUrl ?? undefined,
      emulators: null,
    };
  }
  const sttScript = offline.sttScript ?? (p.sttScriptFile ? readScript(p.sttScriptFile) : []);
  const emulators = await startOfflineProviders({ ...offline, sttScript });
  return { key: () => OFFLINE_KEY, baseUrl: (name) => emulators[name].baseUrl, emulators };
}

/** One utterance per non-empty line. */
function readScript(file: string): string[] {
  try {
    return readFileSync(file, 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean);
  } catch (err) {
    throw new ConfigError(`SIM_STT_SCRIPT: cannot read ${file} (${(err as Error).message}).`);
  }
}

/** Counts nothing: for callers (tests, benchmarks) that keep no metrics. */
const NO_PROVIDER_METRICS: ProviderMetrics = {
  providerError: () => undefined,
  llmFallback: () => undefined,
  llmServed: () => undefined,
  vadRun: () => undefined,
  connectionOpened: () => undefined,
};

/** Builds the per-session stage factory; LLM clients and circuit breakers are shared by all sessions. */
function stageFactory(
  p: ProvidersConfig,
  ep: Endpoints,
  vad: SileroVad,
  log: Logger,
  metrics: ProviderMetrics,
  llmFetch: ReadonlyMap<LlmProviderName, FetchFunction>,
): (sessionId: string) => Stages {
  const llm = (name: LlmProviderName): LlmStage => {
    const common = {
      apiKey: ep.key(name),
      baseUrl: ep.baseUrl(name),
      model: p.llm[name].model,
      interTokenTimeoutMs: p.llmInterTokenTimeoutMs,
      fetch: llmFetch.get(name),
    };
    if (name === 'groq') return new GroqLlm({ ...common, openAiCompatiblePath: p.groqOpenAiCompatible });
    if (name === 'cerebras') return new CerebrasLlm(common);
    return new AnthropicLlm(common);
  };
  const chain = p.llmOrder.map((name) => ({
    name,
    stage: instrumentLlm(llm(name), name, metrics),
    breaker: new CircuitBreaker(),
  }));
  return (sessionId) => {
    const tts = new CartesiaTts({
      apiKey: ep.key('cartesia'),
      baseUrl: ep.baseUrl('cartesia'),
      model: p.cartesia.model,
      defaultLanguage: p.cartesia.language,
      version: p.cartesia.version ?? undefined,
      emotion: p.cartesia.emotion ?? undefined,
      onConnection: () => metrics.connectionOpened('cartesia'),
    });
    const stt = new DeepgramStt({
      apiKey: ep.key('deepgram'),
      baseUrl: ep.baseUrl('deepgram'),
      model: p.deepgram.model,
      language: p.deepgram.language,
      onConnection: () => metrics.connectionOpened('deepgram'),
    });
    return {
      llm: new FallbackLlm({
        providers: chain,
        firstTokenDeadlineMs: p.llmFirstTokenDeadlineMs,
        onServed: (provider, info) => {
          metrics.llmServed(provider);
          log.info('llm served', {
            sessionId,
            provider,
            firstTokenMs: Math.round(info.firstTokenMs),
            skipped: info.fallbacks.map((f) => f.name),
          });
        },
        onFallback: (a) => {
          metrics.llmFallback(a.name, a.reason);
          log.warn('llm fallback', {
            sessionId,
            provider: a.name,
            reason: a.reason,
            elapsedMs: Math.round(a.elapsedMs),
          });
        },
      }),
      tts: instrumentTts(tts, 'cartesia', metrics),
      stt: instrumentStt(stt, 'deepgram', metrics),
      vad,
      close: () => {
        stt.close();
        tts.close();
      },
    };
  };
}

/**
 * OpenAI voice names to Cartesia voice ids: a voice for the language when the session speaks one
 * other than the default, the map, an id given directly, else the default voice.
 */
function voiceResolver(p: ProvidersConfig): (voice: string, language: string | undefined) => string {
  return (voice, language) => {
    const base = language?.split('-')[0]?.toLowerCase();
    const forLanguage = base && base !== p.cartesia.language ? p.cartesia.languageVoices[base] : undefined;
    if (forLanguage && !CARTESIA_VOICE_ID.test(voice)) return forLanguage;
    const mapped = p.cartesia.voiceMap[voice];
    if (mapped) return mapped;
    if (p.mode === 'offline' || CARTESIA_VOICE_ID.test(voice)) return voice;
    return p.cartesia.defaultVoice ?? voice;
  };
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  setHeapGrowingPercent(config.heapGrowingPercent);
  const log = createLogger(config.logLevel, { content: config.logContent });
  if (config.logContent) log.warn('LOG_CONTENT is on: transcripts, prompts and response text are logged');
  const metrics = new GatewayMetrics();
  const p = config.providers;
  let providers: AssembledProviders;
  try {
    providers = await assembleProviders(p, log, {}, metrics);
  } catch (err) {
    // An adapter's constructor refused its settings: say which, without a stack trace.
    process.stderr.write(`Cannot start the providers: ${(err as Error).message}\n`);
    process.exit(1);
  }
  if (p.mode === 'offline') {
    log.warn(
      'offline mode: no provider keys are set, so every session runs on the built-in emulators on loopback',
      {
        stt: 'deepgram emulator',
        llm: p.llmOrder.map((n) => `${n} emulator`),
        tts: 'cartesia emulator (espeak-ng speech)',
      },
    );
  } else {
    log.info('cloud providers', { stt: 'deepgram', llm: p.llmOrder, tts: 'cartesia' });
  }
  const gateway = createGateway({
    config,
    log,
    stages: providers.stages,
    resolveVoice: providers.resolveVoice,
    metrics,
  });
  const { url } = await gateway.listen();
  log.info('gateway listening', { url, tls: config.tls !== null, keysRequired: config.apiKeys.length > 0 });

  // The first signal drains: new sessions are refused, running responses get DRAIN_TIMEOUT_MS to
  // finish. A second signal closes every session at once.
  let stopping: Promise<void> | null = null;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn('shutting down now', { signal, sessions: gateway.sessionCount });
      void gateway.close();
      return;
    }
    log.info('shutting down', {
      signal,
      sessions: gateway.sessionCount,
      drainTimeoutMs: config.drainTimeoutMs,
    });
    stopping = gateway
      .drain(config.drainTimeoutMs)
      .then(() => gateway.close())
      .then(() => providers.close())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

// Run only as the entry point; tests import `assembleProviders` without starting a gateway.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
