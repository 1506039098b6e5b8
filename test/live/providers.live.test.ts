/**
 * The stage contracts against the real cloud providers. Opt-in (`npm run test:live`), never part
 * of `npm test`: each provider's suite runs only when its key is in the environment.
 */
import { describe } from 'vitest';
import { AnthropicLlm } from '../../src/providers/anthropic/anthropic-llm.js';
import { CartesiaTts } from '../../src/providers/cartesia/index.js';
import { CerebrasLlm } from '../../src/providers/cerebras/cerebras-llm.js';
import { DeepgramStt } from '../../src/providers/deepgram/index.js';
import { GroqLlm } from '../../src/providers/groq/groq-llm.js';
import { llmContract, sttContract, ttsContract } from '../providers/contract.js';

const env = process.env;

describe.runIf(env.DEEPGRAM_API_KEY)('deepgram (live)', () =>
  sttContract(() => new DeepgramStt({ apiKey: env.DEEPGRAM_API_KEY!, baseUrl: env.DEEPGRAM_BASE_URL })),
);
describe.runIf(env.GROQ_API_KEY)('groq (live)', () =>
  llmContract(() => new GroqLlm({ apiKey: env.GROQ_API_KEY!, baseUrl: env.GROQ_BASE_URL })),
);
describe.runIf(env.CEREBRAS_API_KEY)('cerebras (live)', () =>
  llmContract(() => new CerebrasLlm({ apiKey: env.CEREBRAS_API_KEY!, baseUrl: env.CEREBRAS_BASE_URL })),
);
describe.runIf(env.ANTHROPIC_API_KEY)('anthropic (live)', () =>
  llmContract(() => new AnthropicLlm({ apiKey: env.ANTHROPIC_API_KEY!, baseUrl: env.ANTHROPIC_BASE_URL })),
);
// The TTS contract needs a real voice id.
describe.runIf(env.CARTESIA_API_KEY && env.CARTESIA_VOICE)('cartesia (live)', () =>
  ttsContract(
    () => new CartesiaTts({ apiKey: env.CARTESIA_API_KEY!, baseUrl: env.CARTESIA_BASE_URL }),
    env.CARTESIA_VOICE,
  ),
);
