/**
 * Offline mode: every provider emulator started in-process on loopback, so the gateway runs the
 * whole protocol with no account anywhere. The real adapters and SDKs talk to them by base URL.
 */
import { startCartesiaEmulator } from './cartesia/index.js';
import { startDeepgramEmulator } from './deepgram/index.js';
import { startAnthropicEmulator, startCerebrasEmulator, startGroqEmulator } from './llm/index.js';
import type { RunningEmulator } from './types.js';

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
export async function startOfflineProviders(
  opts: { sttScript?: readonly string[] } = {},
): Promise<OfflineProviders> {
  const started: RunningEmulator[] = [];
  const track = async <T extends RunningEmulator>(p: Promise<T>): Promise<T> => {
    const e = await p;
    started.push(e);
    return e;
  };
  try {
    const [deepgram, groq, cerebras, anthropic, cartesia] = await Promise.all([
      track(startDeepgramEmulator({ script: opts.sttScript })),
      track(startGroqEmulator()),
      track(startCerebrasEmulator()),
      track(startAnthropicEmulator()),
      track(startCartesiaEmulator()),
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
