/** The Cartesia TTS WebSocket emulator. */
export { CARTESIA_TTS_PATH, startCartesiaEmulator } from './emulator.js';
export type { CartesiaEmulatorOptions } from './emulator.js';
export { DEFAULT_CARTESIA_LATENCY } from './context.js';
export type { CartesiaLatencyProfile } from './context.js';
