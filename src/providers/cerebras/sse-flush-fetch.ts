/**
 * A `fetch` for the Cerebras SDK that works around its SSE splitter holding back the last event
 * of every network read. `@cerebras/cerebras_cloud_sdk` 1.91's `findDoubleNewlineIndex` scans
 * `i < length - 2`, so a `\n\n` that ends the bytes read so far is found only once more bytes
 * arrive: each event (the first token included) waits for the next one. Measured against the
 * emulator at 2 tokens/s: the first token came 500 ms late. Appending one `\n` after such a read
 * makes the terminator visible; a lone blank line between events is ignored by SSE decoders.
 */

const LF = new Uint8Array([0x0a]);

function endsWithBlankLine(chunk: Uint8Array): boolean {
  const n = chunk.length;
  return n >= 2 && chunk[n - 1] === 0x0a && chunk[n - 2] === 0x0a;
}

/** Global fetch, with event-stream bodies passed through the terminator fix. */
export async function sseFlushFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const res = await fetch(input, init);
  if (!res.body || !(res.headers.get('content-type') ?? '').includes('text/event-stream')) return res;
  const body = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        controller.enqueue(chunk);
        if (endsWithBlankLine(chunk)) controller.enqueue(LF);
      },
    }),
  );
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}
