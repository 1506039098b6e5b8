/**
 * Twilio's side of a call, emulated: it rings the voice webhook with a signed form POST, reads the
 * TwiML, opens the signed Media Stream it names, sends `connected`, `start` and 20 ms `media`
 * frames, and plays what comes back by the clock: a `mark` is echoed once the audio queued before
 * it has played, and `clear` drops the queue (echoing its marks at once), as Twilio does.
 */
import WebSocket from 'ws';

/** Signs a request as Twilio does (tests pass the `twilio` package's own signer). */
export type TwilioSigner = (authToken: string, url: string, params: Record<string, string>) => string;

/** How the emulated Twilio places a call. */
export interface TwilioPeerOptions {
  /** The gateway's base URL (`http://127.0.0.1:PORT`), where the voice webhook lives. */
  baseUrl: string;
  authToken: string;
  sign: TwilioSigner;
  from: string;
  to?: string;
  callSid?: string;
  /** Path of the voice webhook (default `/twilio/voice`). */
  voicePath?: string;
}

/** Something the peer saw from the gateway, with when it arrived (performance.now()). */
export type PeerEvent =
  | { at: number; kind: 'media'; bytes: Uint8Array }
  | { at: number; kind: 'mark'; name: string }
  | { at: number; kind: 'clear' };

/** 20 ms of μ-law at 8 kHz. */
const FRAME_BYTES = 160;
const FRAME_MS = 20;

/** A call placed by the emulated Twilio. */
export class TwilioPeer {
  readonly events: PeerEvent[] = [];
  /** Marks echoed back to the gateway, in order. */
  readonly echoed: string[] = [];
  private seq = 0;
  private chunk = 0;
  private readonly startedAt = performance.now();
  private playEndsAt = 0;
  private readonly pendingMarks = new Map<string, NodeJS.Timeout>();
  private waiters: (() => void)[] = [];
  private closed = false;

  private constructor(
    readonly twiml: string,
    readonly parameters: Record<string, string>,
    readonly callSid: string,
    readonly streamSid: string,
    private readonly ws: WebSocket,
  ) {
    ws.on('message', (data) => this.onMessage(data.toString()));
    ws.on('close', () => {
      this.closed = true;
      for (const t of this.pendingMarks.values()) clearTimeout(t);
      this.pendingMarks.clear();
      this.wake();
    });
  }

  /** Rings the webhook and opens the stream it answers with; resolves once `start` is sent. */
  static async call(o: TwilioPeerOptions): Promise<TwilioPeer> {
    const callSid = o.callSid ?? `CA${randomHex(32)}`;
    const form: Record<string, string> = {
      AccountSid: 'AC' + '0'.repeat(32),
      CallSid: callSid,
      CallStatus: 'ringing',
      Direction: 'inbound',
      From: o.from,
      To: o.to ?? '+15550100000',
    };
    const url = o.baseUrl + (o.voicePath ?? '/twilio/voice');
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': o.sign(o.authToken, url, form),
      },
      body: new URLSearchParams(form).toString(),
    });
    const twiml = await res.text();
    if (!res.ok) throw new Error(`voice webhook answered ${res.status}: ${twiml}`);
    const streamUrl = /<Stream url="([^"]+)"/.exec(twiml)?.[1];
    if (!streamUrl) throw new Error(`no <Stream url> in the TwiML: ${twiml}`);
    const parameters: Record<string, string> = {};
    for (const m of twiml.matchAll(/<Parameter name="([^"]*)" value="([^"]*)"\/>/g))
      parameters[unxml(m[1]!)] = unxml(m[2]!);
    const ws = await openSigned(unxml(streamUrl), o.authToken, o.sign);
    const streamSid = `MZ${randomHex(32)}`;
    const peer = new TwilioPeer(twiml, parameters, callSid, streamSid, ws);
    peer.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    peer.send({
      event: 'start',
      sequenceNumber: peer.nextSeq(),
      streamSid,
      start: {
        streamSid,
        accountSid: form.AccountSid,
        callSid,
        tracks: ['inbound'],
        customParameters: parameters,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
    return peer;
  }

  /** Sends caller audio as 20 ms frames, paced in real time unless `realtime` is false. */
  async speak(mulaw: Uint8Array, realtime = true): Promise<void> {
    const t0 = performance.now();
    for (let off = 0, i = 0; off < mulaw.length && !this.closed; off += FRAME_BYTES, i++) {
      this.sendFrame(mulaw.subarray(off, off + FRAME_BYTES));
      if (realtime) {
        const due = t0 + (i + 1) * FRAME_MS - performance.now();
        if (due > 0) await new Promise((r) => setTimeout(r, due));
      }
    }
  }

  /** Sends one frame of caller audio now. */
  sendFrame(frame: Uint8Array): void {
    this.chunk++;
    this.send({
      event: 'media',
      sequenceNumber: this.nextSeq(),
      streamSid: this.streamSid,
      media: {
        track: 'inbound',
        chunk: String(this.chunk),
        timestamp: String(Math.round(performance.now() - this.startedAt)),
        payload: Buffer.from(frame).toString('base64'),
      },
    });
  }

  /** The caller presses a key. */
  pressKey(digit: string): void {
    this.send({
      event: 'dtmf',
      sequenceNumber: this.nextSeq(),
      streamSid: this.streamSid,
      dtmf: { track: 'inbound_track', digit },
    });
  }

  /** Sends raw text (malformed-input tests). */
  sendRaw(text: string): void {
    this.ws.send(text);
  }

  /** Hangs up: `stop`, then the socket closes. */
  async hangUp(): Promise<void> {
    this.send({
      event: 'stop',
      sequenceNumber: this.nextSeq(),
      streamSid: this.streamSid,
      stop: { accountSid: 'AC' + '0'.repeat(32), callSid: this.callSid },
    });
    await this.closedPromise();
  }

  /** Resolves when the gateway has closed the stream. */
  async closedPromise(timeoutMs = 5_000): Promise<void> {
    await this.until(() => this.closed, timeoutMs, 'the stream to close');
  }

  /** When the audio received so far will have played, by the caller's clock (performance.now()). */
  get playoutEndsAt(): number {
    return this.playEndsAt;
  }

  /** Whether the socket is closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Every μ-law byte received, in order (what Twilio was asked to play, cleared audio included). */
  receivedAudio(since = 0): Uint8Array {
    return Buffer.concat(this.events.flatMap((e) => (e.kind === 'media' && e.at >= since ? [e.bytes] : [])));
  }

  /** Waits until `pred` holds, re-checked on every message. */
  async until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  private onMessage(text: string): void {
    const m = JSON.parse(text) as { event: string; media?: { payload: string }; mark?: { name: string } };
    const at = performance.now();
    if (m.event === 'media' && m.media) {
      const bytes = Buffer.from(m.media.payload, 'base64');
      this.events.push({ at, kind: 'media', bytes });
      this.playEndsAt = Math.max(at, this.playEndsAt) + bytes.length / 8;
    } else if (m.event === 'mark' && m.mark) {
      const name = m.mark.name;
      this.events.push({ at, kind: 'mark', name });
      const t = setTimeout(() => this.echo(name), Math.max(0, this.playEndsAt - at));
      this.pendingMarks.set(name, t);
    } else if (m.event === 'clear') {
      this.events.push({ at, kind: 'clear' });
      this.playEndsAt = at;
      // Twilio echoes the marks of the audio a clear dropped.
      for (const [name, t] of [...this.pendingMarks]) {
        clearTimeout(t);
        this.echo(name);
      }
    }
    this.wake();
  }

  private echo(name: string): void {
    this.pendingMarks.delete(name);
    if (this.closed) return;
    this.echoed.push(name);
    this.send({ event: 'mark', sequenceNumber: this.nextSeq(), streamSid: this.streamSid, mark: { name } });
  }

  private send(message: object): void {
    if (!this.closed && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  private nextSeq(): string {
    return String(++this.seq);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Opens the stream URL with the signature Twilio sends on the upgrade. */
function openSigned(url: string, authToken: string, sign: TwilioSigner): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { 'x-twilio-signature': sign(authToken, url, {}) } });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`stream upgrade answered ${res.statusCode}`)),
    );
  });
}

function randomHex(n: number): string {
  let s = '';
  while (s.length < n) s += Math.floor(Math.random() * 16).toString(16);
  return s;
}

function unxml(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
