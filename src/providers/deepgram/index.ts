/** Deepgram: live speech-to-text through `@deepgram/sdk` v5. */
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DEEPGRAM_MODEL,
  DEFAULT_ENDPOINTING_MS,
  DEFAULT_FINISH_TIMEOUT_MS,
  DEFAULT_IDLE_SOCKET_MS,
  DEFAULT_KEEPALIVE_MS,
  DEFAULT_MAX_IDLE_SOCKETS,
  DEFAULT_MAX_RECONNECTS,
  DEFAULT_UTTERANCE_END_MS,
  DeepgramStt,
  MAX_REPLAY_MS,
} from './stt.js';
export type { DeepgramSttOptions } from './stt.js';
