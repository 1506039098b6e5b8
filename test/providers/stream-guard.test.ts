/** guardStream's request signal: left alone when the stream completes, aborted when it is cut short. */
import { describe, expect, it } from 'vitest';
import { LlmProviderError, guardStream } from '../../src/providers/llm-common/stream-guard.js';

const DEADLINES = { firstTokenTimeoutMs: 1_000, interTokenTimeoutMs: 1_000 };
const describeErr = (err: unknown) => new LlmProviderError('test.llm', String(err));

/** A guarded stream of `items`, and the signal its request was opened with. */
function guarded(items: number[], caller = new AbortController().signal) {
  const seen: { signal: AbortSignal | null } = { signal: null };
  const stream = guardStream<number>(
    'test.llm',
    DEADLINES,
    caller,
    async (signal) => {
      seen.signal = signal;
      return (async function* () {
        yield* items;
      })();
    },
    describeErr,
  );
  return { stream, seen };
}

describe('guardStream', () => {
  it('does not abort the request of a stream that completed', async () => {
    const { stream, seen } = guarded([1, 2, 3]);
    const got: number[] = [];
    for await (const n of stream) got.push(n);
    expect(got).toEqual([1, 2, 3]);
    expect(seen.signal?.aborted).toBe(false);
  });

  it('aborts the request when the caller stops reading early or aborts', async () => {
    const early = guarded([1, 2, 3]);
    for await (const n of early.stream) if (n === 1) break;
    expect(early.seen.signal?.aborted).toBe(true);

    const caller = new AbortController();
    const aborted = guarded([1, 2, 3], caller.signal);
    const got: number[] = [];
    for await (const n of aborted.stream) {
      got.push(n);
      caller.abort();
    }
    expect(aborted.seen.signal?.aborted).toBe(true);
  });
});
