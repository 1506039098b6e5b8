/**
 * The provider emulators as their own process for the capacity benchmarks, so their CPU is not
 * the gateway's: `node --import tsx scripts/capacity/emulators-child.ts`. Prints one JSON line
 * with the base URLs on stdout when ready; stops on SIGTERM or when stdin closes (its parent died).
 *
 * With `EMULATOR_TLS_CERT_FILE` and `EMULATOR_TLS_KEY_FILE` (PEM) every emulator serves TLS, so
 * the gateway pays for encryption on its provider links as it does in production.
 *
 * Default latency profile (STT final 150 ms, LLM first token 220 ms, TTS first audio 90 ms). The
 * Cartesia emulator speaks with espeak-ng and reuses the synthesis of a repeated sentence, so a few
 * hundred sessions cost the one espeak thread a handful of syntheses, not one per reply.
 */
import { readFileSync } from 'node:fs';
import { startOfflineProviders } from '../../src/emulators/offline.js';
import { TURN_TEXTS } from './turns.js';

/** Transcripts for far more turns than a run makes: past the script's end the STT says placeholders. */
const SCRIPT_LINES = 1_000_000;

const script = Array.from({ length: SCRIPT_LINES }, (_, i) => TURN_TEXTS[i % TURN_TEXTS.length]!);
const { EMULATOR_TLS_CERT_FILE: certFile, EMULATOR_TLS_KEY_FILE: keyFile } = process.env;
if (!certFile !== !keyFile) throw new Error('EMULATOR_TLS_CERT_FILE and EMULATOR_TLS_KEY_FILE go together');
const tls =
  certFile && keyFile
    ? { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') }
    : undefined;
const providers = await startOfflineProviders({ sttScript: script, tls });
process.stdout.write(
  `${JSON.stringify({
    ready: true,
    deepgram: providers.deepgram.baseUrl,
    groq: providers.groq.baseUrl,
    cerebras: providers.cerebras.baseUrl,
    anthropic: providers.anthropic.baseUrl,
    cartesia: providers.cartesia.baseUrl,
  })}\n`,
);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void providers.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
