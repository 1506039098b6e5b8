/** The built-in stand-in stages meet the stage contracts. */
import { describe } from 'vitest';
import { ScriptedLlm, echoScript } from '../../src/providers/fake/scripted-llm.js';
import { ScriptedStt } from '../../src/providers/fake/scripted-stt.js';
import { ToneTts } from '../../src/providers/fake/tone-tts.js';
import { llmContract, sttContract, ttsContract } from './contract.js';

describe('fake.llm', () => llmContract(() => new ScriptedLlm(echoScript({ firstTokenMs: 5, tokenMs: 5 }))));
describe('fake.tts', () => ttsContract(() => new ToneTts({ firstAudioMs: 5, chunkMs: 20 })));
describe('fake.stt', () => sttContract(() => new ScriptedStt(['hello'])));
