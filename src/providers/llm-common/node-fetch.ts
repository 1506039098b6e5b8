/**
 * The `fetch` the LLM SDKs are given (groq-sdk, and the Cerebras and Anthropic fallbacks): one
 * request over `node:http`/`node:https` with a keep-alive agent, for CPU. Node's own fetch (undici)
 * carries every response through WHATWG streams and its fetch machinery; at 100 sessions the
 * LLM's path was 12 % of the gateway's busy event loop, and `npm run bench:llm` puts each SDK at
 * 0.55 to 0.66 of the CPU per streamed reply with this one as with Node's fetch (README, Design
 * notes).
 *
 * What it returns is not a WHATWG `Response` but the part of one that groq-sdk 1.6,
 * `@cerebras/cerebras_cloud_sdk` 1.91 and `@anthropic-ai/sdk` 1.12 read on the paths the adapters
 * use (streamed completions, no retries, error statuses): `ok`, `status`, `statusText`,
 * `headers`, `url`, `text()`, `json()`, and a `body` that each SDK iterates with `for await`
 * (their stream readers take any async iterable as it is). That leans on the SDKs' internals: the
 * adapters' tests run the real SDKs over it against the emulators, so an SDK update that reads
 * more of a response on those paths fails them.
 *
 * Unlike `fetch`, it follows no redirects and asks for no compression (the LLM APIs answer
 * directly, and streamed tokens gain nothing from gzip), and it sends once more a request that a
 * kept-alive socket lost before any answer (`STALE_SOCKET_CODES`).
 */
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import https from 'node:https';

/**
 * Free sockets close after this long idle. A call asks the LLM once a turn, and its turns are often
 * more than undici's 4 s apart, so at that value a quiet gateway opened a new connection (a DNS
 * lookup, which Node does not cache, then TCP and TLS) before most replies. Node's agent shortens
 * it to the server's `Keep-Alive: timeout` hint less 1 s when the server sends one; a server that
 * closes sooner unannounced leaves a socket that may fail as it is reused, which is retried once
 * (`STALE_SOCKET_CODES`). Node arms the same timeout on sockets in use, where it only emits
 * `timeout` events that nothing here acts on, so a slow first token is not cut (the adapter's own
 * deadlines decide that); a test holds this.
 */
const IDLE_SOCKET_MS = 30_000;
/**
 * How a request fails when it went out on a kept-alive socket the server closed meanwhile. Before
 * any answer, such a request is sent once more, as Node's documentation advises
 * (`request.reusedSocket`): the server closed the connection idle, so it read nothing. The other
 * free sockets to that server are closed first, since they have been idle at least as long (the
 * pool hands out the most recently used first), so the retry opens a new connection.
 */
const STALE_SOCKET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE']);
/**
 * A stale socket fails within a round trip of the request going out; a failure later than this
 * comes from a server that read the request and died holding it, which is not asked again (a
 * second ask would cost the tokens and the wait twice).
 */
const STALE_FAILURE_WITHIN_MS = 1_000;
/** Most of an error body `text()` reads: error bodies are a few hundred bytes. */
const MAX_TEXT_BYTES = 1 << 20;

/** Options of `createNodeFetch`. */
export interface NodeFetchOptions {
  /**
   * The only certificate authorities trusted for `https:`, instead of Node's (a test's own
   * certificate). A deployment with a private CA adds it with `NODE_EXTRA_CA_CERTS` instead.
   */
  ca?: string | Buffer;
  /** Idle time after which a free socket closes; default `IDLE_SOCKET_MS`. */
  idleSocketMs?: number;
  /** Told each time a request goes out on a new connection rather than a kept one. */
  onNewConnection?: () => void;
}

/** `fetch`'s signature, as SDKs take it. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** The part of a `Response` the SDKs read, over a node `IncomingMessage`. */
class NodeResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;

  constructor(
    private readonly res: IncomingMessage,
    readonly url: string,
  ) {
    this.status = res.statusCode ?? 0;
    this.ok = this.status >= 200 && this.status < 300;
    this.statusText = res.statusMessage ?? '';
    this.headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value !== undefined) this.headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
  }

  /** The body's bytes as they arrive. */
  get body(): AsyncIterable<Uint8Array> {
    return this.res;
  }

  async text(): Promise<string> {
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of this.res as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > MAX_TEXT_BYTES) {
        this.res.destroy();
        throw new Error(`response body over ${MAX_TEXT_BYTES} bytes`);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, bytes).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}

/** The `fetch` `createNodeFetch` makes, and a way to let go of its pool. */
export interface NodeFetch extends FetchFunction {
  /**
   * Closes the sockets kept alive and not carrying a request (at shutdown, or where a test counts
   * handles); requests in flight go on, and later ones connect again.
   */
  closeIdleConnections(): void;
}

/** A `fetch` for SDKs that send string or byte bodies (JSON APIs), with its own keep-alive agents. */
export function createNodeFetch(options: NodeFetchOptions = {}): NodeFetch {
  const common = {
    keepAlive: true,
    timeout: options.idleSocketMs ?? IDLE_SOCKET_MS,
    scheduling: 'lifo' as const,
  };
  const agents = {
    'http:': new http.Agent(common),
    'https:': new https.Agent({ ...common, ...(options.ca !== undefined ? { ca: options.ca } : {}) }),
  };
  const fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    if (input instanceof Request) throw new TypeError('fetch: pass a URL, not a Request');
    const url = new URL(input);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`fetch: unsupported protocol ${url.protocol}`);
    }
    const body = init.body ?? undefined;
    if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      throw new TypeError('fetch: only string and byte bodies are supported');
    }
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    const transport = url.protocol === 'https:' ? https : http;
    const signal = init.signal ?? null;
    if (signal?.aborted) throw signal.reason;
    const agent = agents[url.protocol as 'http:' | 'https:'];
    const send = (mayRetry: boolean): Promise<Response> =>
      new Promise<Response>((resolve, reject) => {
        const sentAt = performance.now();
        let res: IncomingMessage | null = null;
        // As fetch does: the abort's reason rejects the request, or fails the body being read.
        const onAbort = () => (res ?? req).destroy(signal!.reason);
        const req = transport.request(url, { method: init.method ?? 'GET', headers, agent }, (response) => {
          res = response;
          response.once('close', () => signal?.removeEventListener('abort', onAbort));
          resolve(new NodeResponse(response, url.href) as unknown as Response);
        });
        // After the response a failing socket reaches the body's reader (as `aborted`); should the
        // request report an error too, the answer has begun, so it is not sent again.
        req.on('error', (err: NodeJS.ErrnoException) => {
          if (res) return reject(err);
          signal?.removeEventListener('abort', onAbort);
          const stale =
            req.reusedSocket &&
            STALE_SOCKET_CODES.has(err.code ?? '') &&
            performance.now() - sentAt < STALE_FAILURE_WITHIN_MS;
          if (!mayRetry || !stale || signal?.aborted) return reject(err);
          closeFree(agent, poolPrefix(url));
          resolve(send(false));
        });
        signal?.addEventListener('abort', onAbort, { once: true });
        const onNew = options.onNewConnection;
        // The agent has decided by the time the request gets its socket.
        if (onNew) req.once('socket', () => req.reusedSocket || onNew());
        req.end(body);
      });
    return send(true);
  };
  const closeIdleConnections = () => {
    for (const agent of Object.values(agents)) closeFree(agent, '');
  };
  return Object.assign(fetch, { closeIdleConnections });
}

/**
 * The start of the agent's pool names for `url`'s server: Node names a pool `host:port:` and then
 * the connection's own options.
 */
function poolPrefix(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.hostname.replace(/^\[(.*)\]$/, '$1')}:${port}:`;
}

/** Closes `agent`'s free sockets in the pools whose names start with `prefix`. */
function closeFree(agent: http.Agent, prefix: string): void {
  for (const [name, free] of Object.entries(agent.freeSockets)) {
    // A destroyed socket leaves its pool on `close`, later, so the list is not changed meanwhile.
    if (name.startsWith(prefix)) free?.forEach((socket) => socket.destroy());
  }
}
