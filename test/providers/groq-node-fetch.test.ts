/**
 * The LLM adapters' `node:http` fetch: real TLS with one kept-alive connection, aborts before and
 * during a body, no abort listener left behind, a stale kept-alive socket retried once on a new
 * connection and nothing else retried, a connection kept through a pause between turns, a slow
 * answer outliving the idle-socket timeout, and the limits it puts on what it accepts. (The adapter
 * suite in llm-groq.test.ts runs the real SDK over it against the emulator: errors, cuts and
 * stalls.)
 */
import { getEventListeners, once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDevCert } from '../../scripts/dev-cert.js';
import { sseData } from '../../src/emulators/llm/server.js';
import { GroqLlm } from '../../src/providers/groq/groq-llm.js';
import { createNodeFetch } from '../../src/providers/llm-common/node-fetch.js';
import type { LlmEvent } from '../../src/providers/types.js';

const chunk = (delta: object, finish: string | null = null) =>
  sseData({
    id: 'c',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });

/** A chat completion streamed as an OpenAI-compatible server does. */
function streamReply(res: ServerResponse, words: string[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const w of words) res.write(chunk({ content: w }));
  res.end(chunk({}, 'stop') + sseData('[DONE]'));
}

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = null;
});

async function listen(s: Server): Promise<number> {
  server = s;
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  return (s.address() as AddressInfo).port;
}

/**
 * A server that closes each connection as its second request arrives: what a client meets when a
 * server drops an idle connection just as a request goes out on it.
 */
async function staleOnSecondRequest() {
  const seen = { connections: 0, requests: 0 };
  const perSocket = new WeakMap<object, number>();
  const s = createHttpServer((req, res) => {
    seen.requests++;
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    if (n === 2) req.socket.destroy();
    else streamReply(res, ['a']);
  });
  s.on('connection', () => seen.connections++);
  return { port: await listen(s), seen };
}

describe('createNodeFetch', () => {
  it('streams replies through groq-sdk over TLS with a private CA, on one kept-alive connection', async () => {
    const { cert, key } = await makeDevCert();
    let connections = 0;
    const asked: string[] = [];
    const s = createHttpsServer({ cert, key }, (req: IncomingMessage, res: ServerResponse) => {
      asked.push(`${req.method} ${req.url} ${req.headers.authorization}`);
      streamReply(res, ['Hello ', 'there.']);
    });
    s.on('secureConnection', () => connections++);
    const port = await listen(s);
    const llm = new GroqLlm({
      apiKey: 'k',
      baseUrl: `https://127.0.0.1:${port}`,
      fetch: createNodeFetch({ ca: cert }),
    });
    const ask = {
      instructions: '',
      messages: [{ role: 'user' as const, content: 'hi' }],
      tools: [],
      toolChoice: 'auto' as const,
      maxOutputTokens: null,
    };
    for (let i = 0; i < 2; i++) {
      const events: LlmEvent[] = [];
      for await (const e of llm.generate(ask, new AbortController().signal)) events.push(e);
      expect(events.map((e) => (e.type === 'text' ? e.delta : e.type))).toEqual(['Hello ', 'there.', 'done']);
    }
    expect(connections).toBe(1);
    expect(asked).toEqual(Array(2).fill('POST /openai/v1/chat/completions Bearer k'));
  });

  it('refuses a certificate its CAs do not sign', async () => {
    const { cert, key } = await makeDevCert();
    const port = await listen(createHttpsServer({ cert, key }, (_req, res) => res.end('{}')));
    await expect(createNodeFetch()(`https://127.0.0.1:${port}/`)).rejects.toThrow(/self-signed|certificate/i);
  });

  it('rejects with an AbortError when aborted before the headers and while the body streams', async () => {
    const port = await listen(
      createHttpServer((req, res) => {
        if (req.url === '/stall') return; // never answers
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(chunk({ content: 'a' })); // then stalls mid-body
      }),
    );
    const fetch = createNodeFetch();
    const before = new AbortController();
    const arrived = once(server!, 'request');
    const pending = fetch(`http://127.0.0.1:${port}/stall`, { signal: before.signal });
    await arrived; // sent, and waiting for the headers
    before.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(getEventListeners(before.signal, 'abort')).toHaveLength(0);

    const during = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/body`, { signal: during.signal });
    const reading = (async () => {
      const got: string[] = [];
      for await (const piece of res.body as unknown as AsyncIterable<Buffer>) {
        got.push(piece.toString());
        during.abort();
      }
      return got;
    })();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    expect(getEventListeners(during.signal, 'abort')).toHaveLength(0);
  });

  it('leaves no listener on a signal that outlives its requests, and reuses the connection', async () => {
    let connections = 0;
    const s = createHttpServer((req, res) => {
      if (req.url === '/error') {
        res.writeHead(429, { 'content-type': 'application/json' });
        res.end('{"error":{}}');
      } else streamReply(res, ['a']);
    });
    s.on('connection', () => connections++);
    const port = await listen(s);
    const fetch = createNodeFetch();
    const call = new AbortController(); // e.g. a session's, across many requests
    for (const path of ['/ok', '/error', '/ok']) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: call.signal });
      await res.text();
    }
    await expect(fetch('http://127.0.0.1:9/', { signal: call.signal })).rejects.toThrow(/ECONNREFUSED/);
    await new Promise((r) => setImmediate(r));
    expect(getEventListeners(call.signal, 'abort')).toHaveLength(0);
    expect(connections).toBe(1);
  });

  it('sends a request once more on a new connection when a kept-alive socket turns out closed', async () => {
    const { port, seen } = await staleOnSecondRequest();
    const fetch = createNodeFetch();
    for (let i = 0; i < 2; i++)
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain('"a"');
    expect([seen.connections, seen.requests]).toEqual([2, 3]);
  });

  it('retries on a new connection when every kept-alive socket to the server has gone stale', async () => {
    const { port, seen } = await staleOnSecondRequest();
    let otherConnections = 0;
    const other = createHttpServer((_req, res) => streamReply(res, ['b']));
    other.on('connection', () => otherConnections++);
    other.listen(0, '127.0.0.1');
    await once(other, 'listening');
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`;
    const fetch = createNodeFetch();
    const ask = async () => (await fetch(`http://127.0.0.1:${port}/`)).text();
    await (await fetch(otherUrl)).text(); // a kept socket to another server
    await Promise.all([ask(), ask(), ask()]); // three connections, then three free sockets
    expect(await ask()).toContain('"a"');
    expect([seen.connections, seen.requests]).toEqual([4, 5]);
    await (await fetch(otherUrl)).text();
    expect(otherConnections).toBe(1); // its pool was left alone
    other.closeAllConnections();
    other.close();
  });

  it('does not send again a request a kept-alive socket lost after the server held it', async () => {
    let requests = 0;
    const port = await listen(
      createHttpServer((req, res) => {
        if (++requests === 1) streamReply(res, ['a']);
        else setTimeout(() => req.socket.destroy(), 1_100); // read, held, then the server died
      }),
    );
    const fetch = createNodeFetch();
    await (await fetch(`http://127.0.0.1:${port}/`)).text();
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(requests).toBe(2);
  });

  it('does not send again a request that failed on a new socket, once answering began, or once aborted', async () => {
    let requests = 0;
    let answer: (req: IncomingMessage, res: ServerResponse) => void = (req) => req.socket.destroy();
    const port = await listen(
      createHttpServer((req, res) => {
        requests++;
        answer(req, res);
      }),
    );
    const fetch = createNodeFetch();
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(requests).toBe(1); // a new socket that fails says the server is failing, not idle

    answer = (_req, res) => streamReply(res, ['a']);
    await (await fetch(`http://127.0.0.1:${port}/`)).text(); // leaves a kept-alive socket
    answer = (req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk({ content: 'a' }), () => req.socket.destroy());
    };
    const cut = await fetch(`http://127.0.0.1:${port}/`);
    await expect(cut.text()).rejects.toThrow();
    expect(requests).toBe(3); // the cut reply was not asked for again

    answer = (_req, res) => streamReply(res, ['a']);
    await (await fetch(`http://127.0.0.1:${port}/`)).text();
    const call = new AbortController();
    answer = () => call.abort(); // aborted while the server holds it, on a kept-alive socket
    await expect(fetch(`http://127.0.0.1:${port}/`, { signal: call.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(requests).toBe(5);
  });

  it('keeps a connection through a pause between turns longer than undici keeps one', async () => {
    let connections = 0;
    const s = createHttpServer((_req, res) => streamReply(res, ['a']));
    s.keepAliveTimeout = 60_000; // else Node's server announces 5 s, which the agent honours
    s.on('connection', () => connections++);
    const port = await listen(s);
    const fetch = createNodeFetch();
    await (await fetch(`http://127.0.0.1:${port}/`)).text();
    await new Promise((r) => setTimeout(r, 4_500)); // undici closes a free socket after 4 s
    await (await fetch(`http://127.0.0.1:${port}/`)).text();
    expect(connections).toBe(1);
  }, 10_000);

  it('closes its idle sockets on demand, and not one carrying a request; tells of each new connection', async () => {
    let connections = 0;
    let closed = 0;
    const s = createHttpServer((req, res) => {
      if (req.url === '/slow') setTimeout(() => streamReply(res, ['late']), 300);
      else streamReply(res, ['a']);
    });
    s.on('connection', (socket) => {
      connections++;
      socket.on('close', () => closed++);
    });
    const port = await listen(s);
    let told = 0;
    const fetch = createNodeFetch({ onNewConnection: () => told++ });
    const slow = fetch(`http://127.0.0.1:${port}/slow`);
    await (await fetch(`http://127.0.0.1:${port}/`)).text(); // on a second socket, then idle
    fetch.closeIdleConnections();
    expect(await (await slow).text()).toContain('late');
    await (await fetch(`http://127.0.0.1:${port}/`)).text(); // reuses the slow one's socket
    expect([connections, closed]).toEqual([2, 1]);
    expect(told).toBe(connections); // told of each new connection, not of a kept one reused
  });

  it('does not cut a request whose answer is slower than the idle-socket timeout', async () => {
    const port = await listen(
      createHttpServer((_req, res) => {
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(chunk({ content: 'slow ' }));
          setTimeout(() => res.end(chunk({ content: 'reply' })), 300);
        }, 300);
      }),
    );
    const res = await createNodeFetch({ idleSocketMs: 100 })(`http://127.0.0.1:${port}/`);
    expect(await res.text()).toContain('reply');
  });

  it('reads error bodies as text and JSON, up to 1 MiB', async () => {
    const port = await listen(
      createHttpServer((req, res) => {
        res.writeHead(req.url === '/big' ? 500 : 429, {
          'content-type': 'application/json',
          'retry-after': '3',
        });
        res.end(req.url === '/big' ? 'x'.repeat(2 << 20) : '{"error":{"code":"rate_limit_exceeded"}}');
      }),
    );
    const fetch = createNodeFetch();
    const limited = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' });
    expect([limited.ok, limited.status, limited.headers.get('retry-after')]).toEqual([false, 429, '3']);
    expect(await limited.json()).toEqual({ error: { code: 'rate_limit_exceeded' } });
    await expect((await fetch(`http://127.0.0.1:${port}/big`)).text()).rejects.toThrow(/over 1048576 bytes/);
  });

  it('refuses what it does not carry: other protocols, `Request` objects and form bodies', async () => {
    const fetch = createNodeFetch();
    await expect(fetch('file:///etc/hostname')).rejects.toThrow(/unsupported protocol file:/);
    await expect(fetch(new Request('http://127.0.0.1:9/'))).rejects.toThrow(/not a Request/);
    await expect(
      fetch('http://127.0.0.1:9/', { method: 'POST', body: new URLSearchParams('a=1') }),
    ).rejects.toThrow(/only string and byte bodies/);
  });
});
