/** The utterances the benchmark sessions speak, and the transcripts the emulated STT gives them. */
import type { SpeechFixtureName } from '../../test/fixtures/speech/index.js';

/** Real speech fixtures (espeak-ng), cycled through by every session. */
export const TURN_FIXTURES: readonly SpeechFixtureName[] = ['en-weather', 'en-hello', 'inner-pause'];
/** What each one says, in the same order: the STT script, so replies repeat a few sentences. */
export const TURN_TEXTS: readonly string[] = [
  'What is the weather like in Paris today?',
  'Hello there.',
  'I would like a coffee with milk.',
];
