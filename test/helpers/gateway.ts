/** Starts a real gateway on an ephemeral port for a test, with scripted stages. */
import type { ServerEvent } from '../../protocol/realtime/index.js';
import { loadConfig } from '../../src/config.js';
import type { GatewayConfig } from '../../src/config.js';
import { ScriptedLlm, echoScript } from '../../src/providers/fake/scripted-llm.js';
import type { LlmScript } from '../../src/providers/fake/scripted-llm.js';
import { ScriptedStt } from '../../src/providers/fake/scripted-stt.js';
import { ToneTts } from '../../src/providers/fake/tone-tts.js';
import type { ToneTtsOptions } from '../../src/providers/fake/tone-tts.js';
import { assembleProviders } from '../../src/main.js';
import type { AssembledProviders } from '../../src/main.js';
import { createGateway } from '../../src/server/gateway.js';
import type { Gateway } from '../../src/server/gateway.js';
import { GatewayMetrics } from '../../src/server/metrics.js';
import type { LoopSampler } from '../../src/server/load-guard.js';
import { SILENT_LOGGER } from '../../src/util/log.js';
import type { Logger } from '../../src/util/log.js';

/** Options of a test gateway. */
export interface TestGatewayOptions {
  env?: Record<string, string>;
  llm?: LlmScript;
  tts?: Partial<ToneTtsOptions>;
  /** The load guard's reading of the event loop (with MAX_EVENT_LOOP_UTILIZATION in `env`). */
  loadSampler?: LoopSampler;
  stt?: string[];
  /** Default: silent. */
  log?: Logger;
}

/** A started test gateway. */
export interface TestGateway {
  gateway: Gateway;
  config: GatewayConfig;
  port: number;
  /** `ws://` or `wss://` URL of `/v1/realtime`. */
  url: string;
  /** Every server event, by session id, in GA form. */
  events: Map<string, ServerEvent[]>;
  llms: ScriptedLlm[];
  close(): Promise<void>;
}

/**
 * The gateway shares the test runner's event loop here, so the runner's own work would read as
 * gateway load: the load guard is off unless a test sets it (and its sampler).
 */
const LOAD_GUARD_OFF = { MAX_EVENT_LOOP_UTILIZATION: '0' };

/** Starts a gateway on 127.0.0.1 and an ephemeral port. */
export async function startGateway(opts: TestGatewayOptions = {}): Promise<TestGateway> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    ...LOAD_GUARD_OFF,
    ...opts.env,
  });
  const events = new Map<string, ServerEvent[]>();
  const llms: ScriptedLlm[] = [];
  const gateway = createGateway({
    config,
    log: opts.log ?? SILENT_LOGGER,
    loadSampler: opts.loadSampler,
    stages: () => {
      const llm = new ScriptedLlm(opts.llm ?? echoScript());
      llms.push(llm);
      return { llm, tts: new ToneTts(opts.tts), stt: new ScriptedStt(opts.stt ?? []) };
    },
    observer: (id, e) => {
      const list = events.get(id) ?? [];
      list.push(e);
      events.set(id, list);
    },
  });
  const { port, url } = await gateway.listen();
  return { gateway, config, port, url, events, llms, close: () => gateway.close() };
}

/** A gateway on the real adapters and SDKs, against the provider emulators started in-process. */
export interface ProviderGateway {
  url: string;
  providers: AssembledProviders;
  gateway: Gateway;
  close(): Promise<void>;
}

/** Starts the emulators (fast profile unless asked otherwise), Silero and a gateway on an ephemeral port. */
export async function startProviderGateway(
  opts: {
    env?: Record<string, string>;
    /** Near-zero emulator latencies (default); false: the default profile, real-time-like. */
    fast?: boolean;
    sttScript?: string[];
    /** Sees each voice resolution (the language a response will be spoken in). */
    onResolveVoice?: (voice: string, language: string | undefined) => void;
    /** Sees every server event of every session (phone calls included). */
    observer?: (sessionId: string, event: ServerEvent) => void;
  } = {},
): Promise<ProviderGateway> {
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', ...LOAD_GUARD_OFF, ...opts.env });
  // One registry for the stages and the gateway, as main.ts wires it.
  const metrics = new GatewayMetrics();
  const providers = await assembleProviders(
    config.providers,
    SILENT_LOGGER,
    { fast: opts.fast ?? true, sttScript: opts.sttScript },
    metrics,
  );
  const gateway = createGateway({
    config,
    log: SILENT_LOGGER,
    metrics,
    stages: providers.stages,
    observer: opts.observer,
    resolveVoice: (voice, language) => {
      opts.onResolveVoice?.(voice, language);
      return providers.resolveVoice(voice, language);
    },
  });
  const { url } = await gateway.listen();
  return {
    url,
    providers,
    gateway,
    close: async () => {
      await gateway.close();
      await providers.close();
    },
  };
}
