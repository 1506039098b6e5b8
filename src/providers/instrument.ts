/**
 * Counting provider failures without touching the adapters: a stage is wrapped so that an error
 * its stream throws is reported with the stage and provider name. Our own aborts (a cancelled
 * response, a fallback deadline) are not failures and are not reported.
 */
import type { LlmStage, SttStage, TtsStage, VadRun } from './types.js';

/** A pipeline stage a provider serves. */
export type ProviderStage = 'stt' | 'llm' | 'tts';

/** Where provider outcomes are counted (the metrics registry implements it). */
export interface ProviderMetrics {
  /** A provider's stream failed (not by our abort). */
  providerError(stage: ProviderStage, provider: string): void;
  /** The LLM chain skipped a provider. */
  llmFallback(provider: string, reason: 'error' | 'deadline' | 'circuit_open'): void;
  /** The LLM chain's first token came from this provider. */
  llmServed(provider: string): void;
  /** The Silero VAD answered a model run. */
  vadRun(run: VadRun): void;
  /** A new connection to a provider was set up (a handshake paid; a kept one is not counted again). */
  connectionOpened(provider: string): void;
}

/** Re-yields `source`; an error thrown while `signal` is not aborted is reported, then rethrown. */
async function* counted<T>(
  source: AsyncIterable<T>,
  signal: AbortSignal,
  onError: () => void,
): AsyncIterable<T> {
  try {
    yield* source;
  } catch (err) {
    if (!signal.aborted) onError();
    throw err;
  }
}

/** An LLM stage whose failures are counted for `provider`. */
export function instrumentLlm(stage: LlmStage, provider: string, metrics: ProviderMetrics): LlmStage {
  return {
    label: stage.label,
    generate: (request, signal) =>
      counted(stage.generate(request, signal), signal, () => metrics.providerError('llm', provider)),
  };
}

/** An STT stage whose failures are counted for `provider`. */
export function instrumentStt(stage: SttStage, provider: string, metrics: ProviderMetrics): SttStage {
  return {
    label: stage.label,
    transcribe: (audio, opts, signal) =>
      counted(stage.transcribe(audio, opts, signal), signal, () => metrics.providerError('stt', provider)),
  };
}

/** A TTS stage whose failures are counted for `provider`. */
export function instrumentTts(stage: TtsStage, provider: string, metrics: ProviderMetrics): TtsStage {
  return {
    label: stage.label,
    synthesize: (text, opts, signal) =>
      counted(stage.synthesize(text, opts, signal), signal, () => metrics.providerError('tts', provider)),
  };
}
