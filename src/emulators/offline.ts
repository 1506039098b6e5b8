/**
 * Offline mode: every provider emulator started in-process on loopback, so the gateway runs the
 * whole protocol with no account anywhere. The real adapters and SDKs talk to them by base URL.
 */
import { startCartesiaEmulator } from './cartesia/index.js';
import { startDeepgramEmulator } from './deepgram/index.js';
import { startAnthropicEmulator, startCerebrasEmulator, startGroqEmulator } from './llm/index.js';
import type { EmulatorTls, RunningEmulator } from './types.js';

/** How the offline emulators run. */
export interface OfflineOptions {
  /** Transcripts of the emulated STT, one per utterance. */
  sttScript?: readonly string[];
  /** Near-zero latencies instead of the default profile (tests). */
  fast?: boolean;
  /** Serve every emulator over TLS with this certificate (benchmarks); default plain. */
  tls?: EmulatorTls;
}

/** Latencies small enough for tests, large enough to keep events interleaved as in real use. */
const FAST = {
  stt: { sttFinalMs: 5 },
  llm: { firstTokenMs: 5, tokensPerSecond: 1_000 },
  tts: { firstAudioMs: 5, realtimeFactor: Infinity },
} as const;

/** The running emulators, by provider. */
export interface OfflineProviders {
  deepgram: RunningEmulator;
  groq: RunningEmulator;
  cerebras: RunningEmulator;
  anthropic: RunningEmulator;
  cartesia: RunningEmulator;
  close(): Promise<void>;
}

/** Starts every emulator at its default latency profile (the figures of the stack we replace). */
export async function startOfflineProviders(opts: OfflineOptions = {}): Promise<OfflineProviders> {
  const started: RunningEmulator[] = [];
  const track = async <T extends RunningEmulator>(p: Promise<T>): Promise<T> => {
    const e = await p;
    started.push(e);
    return e;
  };
  try {
    const [deepgram, groq, cerebras, anthropic, cartesia] = await Promise.all([
      track(
        startDeepgramEmulator({
          script: opts.sttScript,
          latency: opts.fast ? FAST.stt : undefined,
          tls: opts.tls,
        }),
      ),
      track(startGroqEmulator({ latency: opts.fast ? FAST.llm : undefined, tls: opts.tls })),
      track(startCerebrasEmulator({ latency: opts.fast ? FAST.llm : undefined, tls: opts.tls })),
      track(startAnthropicEmulator({ latency: opts.fast ? FAST.llm : undefined, tls: opts.tls })),
      track(startCartesiaEmulator({ latency: opts.fast ? FAST.tts : undefined, tls: opts.tls })),
    ]);
    return {
      deepgram,
      groq,
      cerebras,
      anthropic,
      cartesia,
      close: async () => {
        await Promise.all(started.map((e) => e.close()));
      },
    };
  } catch (err) {
    await Promise.all(started.map((e) => e.close()));
    throw err;
  }
}
