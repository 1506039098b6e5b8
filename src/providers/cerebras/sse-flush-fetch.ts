/**
 * A `fetch` for the Cerebras SDK that works around its SSE splitter holding back the last event
 * of every network read. `@cerebras/cerebras_cloud_sdk` 1.91's `findDoubleNewlineIndex` scans
 * `i < length - 2`, so a `\n\n` that ends the bytes read so far is found only once more bytes
 * arrive: each event (the first token included) waits for the next one. Measured against the
 * emulator at 2 tokens/s: the first token came 500 ms late. Appending one `\n` after such a read
 * makes the terminator visible; a lone blank line between events is ignored by SSE decoders.
 */
import type { FetchFunction } from '../llm-common/node-fetch.js';

const LF = new Uint8Array([0x0a]);

function endsWithBlankLine(chunk: Uint8Array): boolean {
  const n = chunk.length;
  return n >= 2 && chunk[n - 1] === 0x0a && chunk[n - 2] === 0x0a;
}

async function* flushed(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    yield chunk;
    if (endsWithBlankLine(chunk)) yield LF;
  }
}

/**
 * `fetch`, with event-stream bodies passed through the terminator fix. The SDK iterates a body
 * with `for await` when it can (its `readableStreamAsyncIterable`), so the fixed body is an async
 * generator; the given fetch's body must be async-iterable (ours and Node's own are). The
 * response is a copy of the members the SDK reads on the adapter's paths (streamed completions,
 * error statuses), not the whole of a `Response`.
 */
export function sseFlushFetch(fetch: FetchFunction): FetchFunction {
  return async (input, init) => {
    const res = await fetch(input, init);
    if (!res.body || !(res.headers.get('content-type') ?? '').includes('text/event-stream')) return res;
    const body = flushed(res.body as unknown as AsyncIterable<Uint8Array>);
    return {
      ok: res.ok,
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
      url: res.url,
      body,
      text: () => res.text(),
      json: () => res.json(),
    } as unknown as Response;
  };
}
