/**
 * An OpenAI-format chat completion stream read into LLM events under the stream guard's
 * deadlines: the one body of Groq's and Cerebras's `generate`, which differ only in their SDK call.
 */
import type { LlmEvent } from '../types.js';
import { ChatChunkReader } from './openai-chat.js';
import type { ChatChunk } from './openai-chat.js';
import { LlmProviderError, describeError, guardStream } from './stream-guard.js';
import type { StreamDeadlines } from './stream-guard.js';

/** Opens the stream with `open` and yields its events, ending with `done` (or throwing why not). */
export async function* streamChatCompletion(
  label: string,
  deadlines: StreamDeadlines,
  apiKey: string,
  signal: AbortSignal,
  open: (signal: AbortSignal) => Promise<AsyncIterable<ChatChunk>>,
): AsyncIterable<LlmEvent> {
  const reader = new ChatChunkReader();
  const chunks = guardStream<ChatChunk>(label, deadlines, signal, open, (err) =>
    describeError(label, apiKey, err),
  );
  for await (const chunk of chunks) yield* reader.read(chunk);
  if (signal.aborted) return;
  const done = reader.finish();
  if (!done) throw new LlmProviderError(label, 'stream ended before a finish reason (connection cut short?)');
  yield done;
}
