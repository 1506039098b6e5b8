/** An LLM stage that answers with given words: how a session speaks a greeting without a model. */
import type { LlmEvent, LlmStage } from '../providers/types.js';

/** Streams `text` as one text delta, then `done`. */
export function fixedTextLlm(text: string): LlmStage {
  return {
    label: 'fixed-text',
    async *generate(_request, signal): AsyncIterable<LlmEvent> {
      if (signal.aborted) return;
      yield { type: 'text', delta: text };
      yield { type: 'done', finishReason: 'stop', usage: null };
    },
  };
}
