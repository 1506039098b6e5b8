/** The LLM emulators: Groq, Cerebras and Anthropic wire protocols on loopback, with shared offline replies. */
export { startGroqEmulator } from './groq.js';
export { startCerebrasEmulator } from './cerebras.js';
export { startAnthropicEmulator } from './anthropic.js';
export { DEFAULT_LLM_LATENCY } from './server.js';
export type { LlmEmulatorOptions, LlmLatencyProfile, RunningLlmEmulator } from './server.js';
