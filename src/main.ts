/**
 * Entry point: reads configuration once, assembles the stages and the gateway, handles signals.
 * The only file that chooses concrete adapters.
 */
import { ConfigError, loadConfig } from './config.js';
import { ScriptedLlm, echoScript } from './providers/fake/scripted-llm.js';
import { ScriptedStt } from './providers/fake/scripted-stt.js';
import { ToneTts } from './providers/fake/tone-tts.js';
import { createGateway } from './server/gateway.js';
import { createLogger } from './util/log.js';

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
  const log = createLogger(config.logLevel);
  // Until the provider adapters land, every session runs on in-process stand-ins: an LLM that
  // echoes, a TTS that speaks a tone per word, an STT that reports the audio's length.
  const gateway = createGateway({
    config,
    log,
    stages: () => ({
      llm: new ScriptedLlm(echoScript({ firstTokenMs: 0, tokenMs: 0 })),
      tts: new ToneTts(),
      stt: new ScriptedStt(),
    }),
  });
  const { url } = await gateway.listen();
  log.info('gateway listening', { url, tls: config.tls !== null, keysRequired: config.apiKeys.length > 0 });
  log.warn(
    'providers: built-in stand-ins (echo LLM, tone TTS, duration STT); real providers are not wired yet',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    void gateway.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

void main();
