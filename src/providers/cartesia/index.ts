/** Cartesia streaming TTS adapter. */
export { CARTESIA_DEFAULT_BASE_URL, CARTESIA_DEFAULT_MODEL, CartesiaTts } from './cartesia-tts.js';
export type { CartesiaTtsOptions } from './cartesia-tts.js';
