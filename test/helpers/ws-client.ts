/** A raw WebSocket Realtime client for tests: send events, await the ones you expect. */
import WebSocket from 'ws';
import type { ClientOptions } from 'ws';

/** A server event as received (any dialect). */
export type Received = { type: string; event_id?: string; [k: string]: unknown };

/** A test client over `ws`. */
export class TestClient {
  readonly received: Received[] = [];
  private waiters: { pred: (e: Received) => boolean; resolve: (e: Received) => void; from: number }[] = [];
  private cursor = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const event = JSON.parse(data.toString()) as Received;
      this.received.push(event);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(event)) return true;
        w.resolve(event);
        return false;
      });
    });
  }

  /** Opens a connection and waits for `open`. */
  static async connect(
    url: string,
    opts: ClientOptions & { protocols?: string[] } = {},
  ): Promise<TestClient> {
    const { protocols, ...rest } = opts;
    const ws = new WebSocket(url, protocols ?? [], {
      headers: { authorization: 'Bearer test-key' },
      ...rest,
    });
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    return client;
  }

  /**
   * Opens a session and applies `session` (a `session.update` session): resolves after
   * `session.updated`, with the cursor past it.
   */
  static async open(url: string, session: object): Promise<TestClient> {
    const c = await TestClient.connect(url);
    await c.next('session.created');
    c.send({ type: 'session.update', session });
    await c.next('session.updated');
    return c;
  }

  /** Sends one event (or a raw string). */
  send(event: object | string): void {
    this.ws.send(typeof event === 'string' ? event : JSON.stringify(event));
  }

  /** Sends `bytes` as `input_audio_buffer.append` events of `bytesPerAppend` each, at once. */
  appendAudio(bytes: Uint8Array, bytesPerAppend: number): void {
    for (let i = 0; i < bytes.byteLength; i += bytesPerAppend) {
      const audio = Buffer.from(
        bytes.buffer,
        bytes.byteOffset + i,
        Math.min(bytesPerAppend, bytes.byteLength - i),
      );
      this.send({ type: 'input_audio_buffer.append', audio: audio.toString('base64') });
    }
  }

  /**
   * Resolves with the first event after the cursor matching `type` (and `pred`), and moves the
   * cursor past it. Rejects after `timeoutMs`.
   */
  next(type: string, pred: (e: Received) => boolean = () => true, timeoutMs = 5_000): Promise<Received> {
    const match = (e: Received) => e.type === type && pred(e);
    for (let i = this.cursor; i < this.received.length; i++) {
      const e = this.received[i]!;
      if (match(e)) {
        this.cursor = i + 1;
        return Promise.resolve(e);
      }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${type}; got ${this.types().join(', ')}`)),
        timeoutMs,
      );
      this.waiters.push({
        pred: match,
        from: this.cursor,
        resolve: (e) => {
          clearTimeout(timer);
          this.cursor = this.received.indexOf(e) + 1;
          resolve(e);
        },
      });
    });
  }

  /** Types of all events received so far. */
  types(): string[] {
    return this.received.map((e) => e.type);
  }

  /** Types received since `mark` (an index into `received`). */
  typesSince(mark: number): string[] {
    return this.received.slice(mark).map((e) => e.type);
  }

  /** Closes and waits for the close handshake. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000, 'OK');
    });
  }
}
