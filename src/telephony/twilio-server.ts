/**
 * Twilio's two endpoints: the voice webhook (`POST /twilio/voice`), which answers with TwiML that
 * connects a bidirectional Media Stream and prepares the call while Twilio dials back, and the
 * stream itself (`/twilio/stream`). Both are signed by Twilio and refused otherwise.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { parseTwilioMessage } from '../../protocol/twilio/media-streams.js';
import type { TelephonyConfig } from '../config.js';
import { writeRawResponse } from '../server/http-replies.js';
import type { ClientTransport } from '../session/event-writer.js';
import type { RealtimeSession } from '../session/realtime-session.js';
import type { LanguagePolicy } from '../session/response-request.js';
import type { Logger } from '../util/log.js';
import { callLanguage } from './call-agent.js';
import { languageForCaller } from './caller-language.js';
import { publicBase, webSocketBase } from './public-url.js';
import { isValidStreamToken, isValidTwilioSignature, streamToken } from './signature.js';
import type { SignedParams } from './signature.js';
import { TwilioCall } from './twilio-call.js';

/** The voice webhook's path (set it as the number's "A call comes in" webhook, POST). */
export const TWILIO_VOICE_PATH = '/twilio/voice';
/** The media stream's path, named in the TwiML. */
export const TWILIO_STREAM_PATH = '/twilio/stream';
/** A voice webhook's form body is well under 4 KB; 64 KB leaves room without inviting abuse. */
const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;
/** Twilio's media messages are about 400 bytes; anything near this is not Twilio. */
const MAX_STREAM_MESSAGE_BYTES = 64 * 1024;
/** WebSocket close code when a call gets no session slot (try again later). */
const CLOSE_TRY_AGAIN_LATER = 1013;
/** WebSocket close code for a stream that breaks the rules (no start, a forged one). */
const CLOSE_POLICY = 1008;
/** WebSocket close code when the gateway shuts down. */
const CLOSE_GOING_AWAY = 1001;
/** How long a closed stream has to finish its closing handshake before it is cut. */
const CLOSE_GRACE_MS = 2_000;
/** Signed sockets that have not started yet: a bound on what a replayed signature can hold open. */
const MAX_STREAMS_WAITING_FOR_START = 256;
/** Calls prepared by the webhook and not yet streaming: past this, webhooks get no pre-warm. */
const MAX_PREPARED_CALLS = 1_000;

/** A session slot for a call, or why there is none (the gateway's session cap, or a drain). */
export type CallSlot = { ok: true; release(): void } | { ok: false; reason: string };

/** What the Twilio endpoints are built from. */
export interface TwilioEndpointsOptions {
  config: TelephonyConfig;
  /** The listener speaks TLS (for URLs rebuilt from headers). */
  tls: boolean;
  log: Logger;
  openSession(transport: ClientTransport, languagePolicy: LanguagePolicy): RealtimeSession;
  /** Takes a session slot for a new call; a call holds it until it ends. */
  admit(callSid: string): CallSlot;
  /** Told when a call's session has ended. */
  onCallEnded?(sessionId: string): void;
}

/** A call the webhook answered but refused (a session cap, the load guard, a drain): Twilio plays a busy signal. */
const BUSY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Reject reason="busy"/></Response>';

/** The Twilio endpoints of one gateway. */
export class TwilioEndpoints {
  private readonly prepared = new Map<string, { call: TwilioCall; timer: NodeJS.Timeout }>();
  private readonly live = new Set<TwilioCall>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_STREAM_MESSAGE_BYTES });
  /** Every open stream socket, started or not (closed with the gateway). */
  private readonly sockets = new Set<WebSocket>();
  /** Stream sockets that have not sent `start` yet. */
  private waitingForStart = 0;

  constructor(private readonly o: TwilioEndpointsOptions) {}

  /** Whether `path` is one of the Twilio routes. */
  static owns(path: string): boolean {
    return path === TWILIO_VOICE_PATH || path === TWILIO_STREAM_PATH;
  }

  /** Calls with a session open (prepared or streaming). */
  get callCount(): number {
    return this.prepared.size + this.live.size;
  }

  /** Answers an HTTP request on a Twilio route. */
  handleRequest(req: IncomingMessage, res: ServerResponse, path: string): void {
    const token = this.o.config.authToken;
    if (!token)
      return plain(res, 404, 'Telephony is off: set TWILIO_AUTH_TOKEN to enable the Twilio endpoints.');
    if (path !== TWILIO_VOICE_PATH || req.method !== 'POST')
      return plain(res, 405, `${TWILIO_VOICE_PATH} takes POST; ${TWILIO_STREAM_PATH} is a WebSocket.`);
    readBody(req, MAX_WEBHOOK_BODY_BYTES)
      .then((body) => this.onVoiceWebhook(req, res, token, body))
      .catch((err: Error) => {
        this.o.log.warn('twilio webhook body refused', { error: err.message });
        plain(res, 413, 'Request body too large.');
      });
  }

  /** Accepts or refuses the media stream's WebSocket upgrade. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const token = this.o.config.authToken;
    if (!token) return refuse(socket, 404, 'Telephony is off: set TWILIO_AUTH_TOKEN.');
    const url = webSocketBase(publicBase(req, this.o.config.publicUrl, this.o.tls)) + (req.url ?? '');
    if (!isValidTwilioSignature(token, header(req, 'x-twilio-signature'), url)) {
      this.o.log.warn('twilio stream signature refused', { url });
      return refuse(socket, 403, 'Invalid X-Twilio-Signature.');
    }
    if (this.waitingForStart >= MAX_STREAMS_WAITING_FOR_START)
      return refuse(socket, 503, 'Too many streams have not started.');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onStream(ws, token));
  }

  /**
   * Lets each call finish what it is saying, up to `deadlineMs`, then ends it. New calls are
   * refused by `admit` meanwhile.
   */
  async drain(deadlineMs: number): Promise<void> {
    const calls = [...[...this.prepared.values()].map((p) => p.call), ...this.live];
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.all(
      calls.map(async (call) => {
        await Promise.race([call.whenQuiet(), deadline]);
        call.end('gateway draining');
      }),
    );
    clearTimeout(timer);
  }

  /** Ends every call and closes every stream socket (cut after a grace period if Twilio does not answer). */
  async close(): Promise<void> {
    for (const { call } of [...this.prepared.values()]) call.end('gateway closing');
    for (const call of [...this.live]) call.end('gateway closing');
    await Promise.all(
      [...this.sockets].map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === ws.CLOSED) return resolve();
            const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
            timer.unref();
            ws.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            if (ws.readyState === ws.OPEN) ws.close(CLOSE_GOING_AWAY, 'server shutting down');
          }),
      ),
    );
    this.wss.close();
  }

  private onVoiceWebhook(req: IncomingMessage, res: ServerResponse, token: string, body: string): void {
    const params = formParams(body);
    const base = publicBase(req, this.o.config.publicUrl, this.o.tls);
    const url = base + (req.url ?? TWILIO_VOICE_PATH);
    if (!isValidTwilioSignature(token, header(req, 'x-twilio-signature'), url, params)) {
      this.o.log.warn('twilio webhook signature refused', { url });
      return plain(res, 403, 'Invalid X-Twilio-Signature.');
    }
    const callSid = first(params['CallSid']);
    const caller = first(params['From']) ?? '';
    const language = this.languageOf(caller);
    if (callSid && !this.prepared.has(callSid) && this.prepared.size < MAX_PREPARED_CALLS) {
      const call = this.newCall(callSid, caller, language);
      if (!call) return xmlReply(res, BUSY_TWIML);
      this.prepare(call);
    }
    const streamUrl = webSocketBase(base) + TWILIO_STREAM_PATH;
    const twiml =
      '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>' +
      `<Stream url="${xml(streamUrl)}">` +
      `<Parameter name="caller" value="${xml(caller)}"/>` +
      `<Parameter name="language" value="${xml(language)}"/>` +
      (callSid ? `<Parameter name="token" value="${streamToken(token, callSid)}"/>` : '') +
      '</Stream></Connect></Response>';
    xmlReply(res, twiml);
    this.o.log.info('twilio call answered', { callSid, language, prepared: Boolean(callSid) });
  }

  /** The language to take a call from `caller` in. */
  private languageOf(caller: string): string {
    const t = this.o.config;
    const byNumber = languageForCaller(caller, t.languageByPrefix, t.defaultLanguage);
    return callLanguage(t.agent, byNumber, t.defaultLanguage);
  }

  /**
   * Opens the call's session and starts its greeting now, so the provider connections are up and
   * the first words are ready when Twilio's stream arrives.
   */
  private prepare(call: TwilioCall): void {
    const timer = setTimeout(() => call.end('media stream never came'), this.o.config.prewarmTtlMs);
    timer.unref();
    this.prepared.set(call.callSid, { call, timer });
    call.start();
  }

  /** A call holding a session slot, or null when the gateway is full, overloaded or draining. */
  private newCall(callSid: string, caller: string, language: string): TwilioCall | null {
    const slot = this.o.admit(callSid);
    if (!slot.ok) {
      this.o.log.warn('twilio call refused', { callSid, reason: slot.reason });
      return null;
    }
    return new TwilioCall({
      agent: this.o.config.agent,
      callSid,
      caller,
      language,
      openSession: this.o.openSession,
      log: this.o.log,
      onEnd: (c) => {
        slot.release();
        this.o.onCallEnded?.(c.session.id);
        this.live.delete(c);
        const p = this.prepared.get(c.callSid);
        if (p?.call === c) {
          clearTimeout(p.timer);
          this.prepared.delete(c.callSid);
        }
      },
    });
  }

  private onStream(ws: WebSocket, authToken: string): void {
    let call: TwilioCall | null = null;
    let streamSid: string | null = null;
    let skippedBeforeStart = 0;
    this.sockets.add(ws);
    this.waitingForStart++;
    let waiting = true;
    const started = () => {
      if (!waiting) return;
      waiting = false;
      this.waitingForStart--;
      clearTimeout(startTimer);
    };
    const startTimer = setTimeout(() => {
      this.o.log.warn('twilio stream never started');
      ws.close(CLOSE_POLICY, 'no start message');
    }, this.o.config.startTimeoutMs);
    startTimer.unref();
    const skip = (reason: string) => {
      if (call) return call.skip(reason);
      if (++skippedBeforeStart <= 5) this.o.log.warn('twilio message skipped', { reason });
    };
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return skip('binary frame');
      const parsed = parseTwilioMessage(data.toString());
      if (!parsed.ok) return skip(parsed.reason);
      const m = parsed.message;
      if (m.event === 'connected') return;
      if (m.event === 'start') {
        if (call) return skip('second start');
        started();
        // The upgrade's signature is the same for every call; the TwiML's per-call token is not.
        if (!isValidStreamToken(authToken, m.start.callSid, m.start.customParameters?.['token'])) {
          this.o.log.warn('twilio stream start refused: no valid token', { callSid: m.start.callSid });
          return ws.close(CLOSE_POLICY, 'start not vouched for by the voice webhook');
        }
        streamSid = m.streamSid;
        call = this.claim(m.start.callSid, m.start.customParameters ?? {});
        if (!call) return ws.close(CLOSE_TRY_AGAIN_LATER, 'no session slot for this call');
        const f = m.start.mediaFormat;
        if (f.encoding !== 'audio/x-mulaw' || f.sampleRate !== 8000 || f.channels !== 1)
          this.o.log.warn('twilio media format unexpected', { callSid: m.start.callSid, ...f });
        this.live.add(call);
        call.attach(ws, m.streamSid);
        return;
      }
      if (!call) return skip(`${m.event} before start`);
      if (m.streamSid !== streamSid) return skip(`${m.event} for another stream`);
      call.receive(m);
    });
    ws.on('error', (err) => this.o.log.warn('twilio socket error', { error: err.message }));
    ws.on('close', () => {
      started();
      this.sockets.delete(ws);
      call?.end('socket closed');
    });
  }

  /** The call the webhook prepared, or a new one when it prepared none (another instance took the webhook). */
  private claim(callSid: string, custom: Record<string, string>): TwilioCall | null {
    const p = this.prepared.get(callSid);
    if (p) {
      clearTimeout(p.timer);
      this.prepared.delete(callSid);
      return p.call;
    }
    const caller = custom['caller'] ?? '';
    const language = custom['language'] || this.languageOf(caller);
    const call = this.newCall(callSid, caller, language);
    call?.start();
    return call;
  }
}

/** A form body's parameters; a name given twice keeps every value (Twilio signs them all). */
function formParams(body: string): SignedParams {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function first(v: string | readonly string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : v?.[0];
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error(`body over ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function xml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function xmlReply(res: ServerResponse, twiml: string): void {
  res.writeHead(200, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(twiml) });
  res.end(twiml);
}

function plain(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function refuse(socket: Duplex, status: number, text: string): void {
  writeRawResponse(socket, status, 'text/plain', text);
}
