/** The Deepgram emulator: live `/v1/listen` over WebSocket and pre-recorded `POST /v1/listen`. */
export {
  DEEPGRAM_IDLE_TIMEOUT_MS,
  DEEPGRAM_LISTEN_PATH,
  DEFAULT_DEEPGRAM_LATENCY,
  startDeepgramEmulator,
} from './emulator.js';
export type { DeepgramEmulator, DeepgramEmulatorOptions, DeepgramLatencyProfile } from './emulator.js';
export { INTERIM_EVERY_MS } from './live-stream.js';
export { DEEPGRAM_DEFAULT_ENDPOINTING_MS } from './protocol.js';
export { FRAME_MS, SPEECH_RMS_THRESHOLD } from './speech.js';
export { placeholderTranscript } from './transcripts.js';
