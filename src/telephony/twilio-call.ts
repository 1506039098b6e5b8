/**
 * One phone call: a Realtime session with the call as its client. Caller audio from Twilio is
 * appended to the session as it comes (μ-law at 8 kHz, the session's own format, so nothing is
 * resampled); the session's audio goes back as 20 ms frames with marks; speech over the agent
 * clears Twilio's queue and truncates the agent's item where the caller stopped hearing it;
 * keypad digits and tool results become conversation items.
 */
import type { ClientEvent, ServerEvent } from '../../protocol/realtime/index.js';
import type { TwilioInbound, TwilioOutbound } from '../../protocol/twilio/media-streams.js';
import type { ClientTransport } from '../session/event-writer.js';
import type { RealtimeSession } from '../session/realtime-session.js';
import type { LanguagePolicy } from '../session/response-request.js';
import type { Logger } from '../util/log.js';
import { greetingFor, instructionsFor, phoneSession } from './call-agent.js';
import type { CallAgent } from './call-agent.js';
import { Playback } from './playback.js';
import type { PlaybackOut } from './playback.js';
import { runPhoneTool } from './tool-webhook.js';
import { newId } from '../util/ids.js';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Silence after the last keypad digit before the digits go to the model (`#` sends at once). */
export const DTMF_GAP_MS = 1_500;
/** Digits held before they are sent anyway (a long account number fits). */
const MAX_DTMF_DIGITS = 32;
/**
 * Agent audio held for a prepared call until Twilio's stream arrives (about 4 min of μ-law, above
 * the session's high-water mark, so the TTS is paused by backpressure before anything is dropped).
 */
const MAX_EARLY_AUDIO_BYTES = 2 * 1024 * 1024;
/** How long past the play-out clock a drain waits for Twilio's last mark echo (network delay). */
const MARK_ECHO_GRACE_MS = 2_000;
/** Skipped Twilio messages logged one by one per call; past this they are only counted. */
const MAX_SKIP_LOGS = 5;

/** The Twilio side of a call: the media stream's socket. */
export interface CallSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
  readonly bufferedAmount: number;
}

/** What a call is built from. */
export interface CallOptions {
  agent: CallAgent;
  callSid: string;
  caller: string;
  /** The language to greet in and to speak until the caller speaks another. */
  language: string;
  /** Opens the call's Realtime session with the call as its transport. */
  openSession(transport: ClientTransport, languagePolicy: LanguagePolicy): RealtimeSession;
  log: Logger;
  /** Told once when the call has ended. */
  onEnd?(call: TwilioCall): void;
}

/** A phone call bridged to a Realtime session. */
export class TwilioCall {
  readonly session: RealtimeSession;
  private socket: CallSocket | null = null;
  private streamSid: string | null = null;
  private readonly playback = new Playback();
  /** Agent audio made before the stream arrived (the greeting of a prepared call). */
  private early: { itemId: string; audio: Uint8Array | null }[] = [];
  private earlyBytes = 0;
  private language: string;
  private digits = '';
  private dtmfTimer: NodeJS.Timeout | null = null;
  private activeResponse: string | null = null;
  private respondWhenIdle = false;
  /** Tool webhooks running: a response asked for meanwhile waits for their results. */
  private toolsRunning = 0;
  /** The agent's session.update is being applied: an error now means the call cannot run as configured. */
  private configuring = false;
  private readonly cleared = new Set<string>();
  private readonly abort = new AbortController();
  private skipped = 0;
  private ended = false;

  constructor(private readonly o: CallOptions) {
    this.language = o.language;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const call = this;
    const transport: ClientTransport = {
      send: (text) => this.onServerEvent(JSON.parse(text) as ServerEvent),
      sendEvent: (event) => this.onServerEvent(event as ServerEvent),
      close: (code, reason) => this.endFromSession(code, reason),
      // The session's backpressure watches Twilio's socket, or the audio held until it comes.
      get bufferedAmount() {
        return call.socket ? call.socket.bufferedAmount : call.earlyBytes;
      },
    };
    const policy: LanguagePolicy = {
      fallback: () => this.language,
      instructionsFor: (language) => {
        // The answer's language is the caller's latest: later greetings and prompts follow it.
        this.language = language;
        return instructionsFor(o.agent, language);
      },
    };
    this.session = o.openSession(transport, policy);
  }

  /** The call's id at Twilio. */
  get callSid(): string {
    return this.o.callSid;
  }

  /** Starts the session with the agent's settings and speaks the greeting (before the stream, if prepared). */
  start(): void {
    this.session.start();
    this.configuring = true;
    this.send({ type: 'session.update', session: phoneSession(this.o.agent, this.o.language) });
    this.configuring = false;
    if (this.ended) return;
    const greeting = greetingFor(this.o.agent, this.o.language);
    if (greeting) this.session.say(greeting);
  }

  /** Resolves once no response is running and the caller has heard everything sent. */
  async whenQuiet(): Promise<void> {
    while (!this.ended && (this.toolsRunning > 0 || this.digits.length > 0)) await delay(100);
    await this.session.whenIdle();
    // Twilio's mark echoes say when the caller has heard it all; the play-out clock bounds the
    // wait should an echo never come.
    const heard = this.playback.heard();
    const left = heard ? this.playback.sentMs - heard.audioEndMs : 0;
    const giveUpAt = performance.now() + left + MARK_ECHO_GRACE_MS;
    while (!this.ended && this.playback.marksPending > 0 && performance.now() < giveUpAt) await delay(20);
  }

  /** Twilio's media stream for this call has started: audio flows both ways from now. */
  attach(socket: CallSocket, streamSid: string): void {
    if (this.ended) return socket.close(1000, 'call ended');
    this.socket = socket;
    this.streamSid = streamSid;
    for (const { itemId, audio } of this.early.splice(0)) {
      this.out(audio ? this.playback.push(itemId, audio) : this.playback.end(itemId));
    }
    this.earlyBytes = 0;
  }

  /** One message from Twilio (already parsed). */
  receive(message: TwilioInbound): void {
    if (this.ended) return;
    switch (message.event) {
      case 'connected':
      case 'start':
        return;
      case 'media':
        if (message.media.track !== undefined && message.media.track !== 'inbound')
          return this.skip('media on another track', message.media.track);
        return this.send({ type: 'input_audio_buffer.append', audio: message.media.payload });
      case 'mark':
        return this.playback.onMark(message.mark.name);
      case 'dtmf':
        return this.onDigit(message.dtmf.digit);
      case 'stop':
        return this.end('stop');
    }
  }

  /** A Twilio message that could not be used: logged (the first few), and the call goes on. */
  skip(reason: string, detail?: string): void {
    this.skipped++;
    if (this.skipped <= MAX_SKIP_LOGS)
      this.o.log.warn('twilio message skipped', { callSid: this.o.callSid, reason, detail });
  }

  /** Ends the call: the session, its provider connections and every timer. Idempotent. */
  end(why: string): void {
    if (this.ended) return;
    this.ended = true;
    this.abort.abort();
    if (this.dtmfTimer) clearTimeout(this.dtmfTimer);
    this.dtmfTimer = null;
    this.early = [];
    this.session.close();
    this.socket?.close(1000, 'call ended');
    this.socket = null;
    this.o.log.info('call ended', {
      callSid: this.o.callSid,
      sessionId: this.session.id,
      why,
      skippedMessages: this.skipped,
    });
    this.o.onEnd?.(this);
  }

  private endFromSession(code: number, reason: string): void {
    this.o.log.info('session closed the call', { callSid: this.o.callSid, code, reason });
    this.end('session closed');
  }

  private send(event: ClientEvent): void {
    this.session.receiveEvent(event);
  }

  private onServerEvent(event: ServerEvent): void {
    if (this.ended) return;
    switch (event.type) {
      case 'response.output_audio.delta':
        if (this.cleared.has(event.item_id)) return;
        return this.audio(event.item_id, Buffer.from(event.delta, 'base64'));
      case 'response.output_audio.done':
        return this.audio(event.item_id, null);
      case 'input_audio_buffer.speech_started':
        // The caller's turn will be answered: a response asked for before it is moot.
        this.respondWhenIdle = false;
        if (this.session.config.audio.input.turn_detection?.interrupt_response === false) return;
        return this.bargeIn();
      case 'response.created':
        this.activeResponse = event.response.id;
        return;
      case 'response.done':
        return this.onResponseDone(event.response);
      case 'error':
        if (this.configuring) {
          // The agent's settings were refused: the call would run in the wrong audio format.
          this.o.log.error('call agent session.update refused', {
            callSid: this.o.callSid,
            code: event.error.code,
            param: event.error.param,
            message: event.error.message,
          });
          this.end('agent settings refused');
          return;
        }
        this.o.log.warn('call session error', {
          callSid: this.o.callSid,
          sessionId: this.session.id,
          code: event.error.code,
        });
        return;
      default:
        return;
    }
  }

  /** Agent audio (`null`: the item's audio is complete), framed for Twilio or held until the stream starts. */
  private audio(itemId: string, audio: Uint8Array | null): void {
    if (this.socket) {
      this.out(audio ? this.playback.push(itemId, audio) : this.playback.end(itemId));
      return;
    }
    const size = audio?.length ?? 0;
    if (this.earlyBytes + size > MAX_EARLY_AUDIO_BYTES) return;
    this.earlyBytes += size;
    this.early.push({ itemId, audio });
  }

  private out(messages: PlaybackOut[]): void {
    const streamSid = this.streamSid;
    if (!this.socket || !streamSid) return;
    for (const m of messages) {
      const msg: TwilioOutbound =
        m.kind === 'media'
          ? { event: 'media', streamSid, media: { payload: m.payload } }
          : { event: 'mark', streamSid, mark: { name: m.name } };
      this.socket.send(JSON.stringify(msg));
    }
  }

  /**
   * The caller spoke (or pressed a key) over the agent: Twilio drops its queue, and the agent's
   * item keeps only what was heard. The session itself cancels the response.
   */
  private bargeIn(): void {
    if (this.early.length > 0) {
      // A caller who talks before the stream's first frame never heard the greeting.
      for (const { itemId } of this.early) this.cleared.add(itemId);
      this.early = [];
      this.earlyBytes = 0;
    }
    if (!this.playback.playing) return;
    const cut = this.playback.clear();
    if (this.socket && this.streamSid) {
      const clear: TwilioOutbound = { event: 'clear', streamSid: this.streamSid };
      this.socket.send(JSON.stringify(clear));
    }
    if (!cut) return;
    this.cleared.add(cut.itemId);
    if (this.cleared.size > 64) this.cleared.delete(this.cleared.values().next().value!);
    this.send({
      type: 'conversation.item.truncate',
      item_id: cut.itemId,
      content_index: 0,
      audio_end_ms: cut.audioEndMs,
    });
  }

  private onDigit(digit: string): void {
    if (this.digits.length === 0) {
      // A key press over the agent is an interruption too.
      this.bargeIn();
      if (this.activeResponse) this.send({ type: 'response.cancel' });
    }
    if (this.dtmfTimer) clearTimeout(this.dtmfTimer);
    this.dtmfTimer = null;
    this.digits += digit;
    if (digit === '#' || this.digits.length >= MAX_DTMF_DIGITS) return this.sendDigits();
    this.dtmfTimer = setTimeout(() => this.sendDigits(), DTMF_GAP_MS);
    this.dtmfTimer.unref();
  }

  private sendDigits(): void {
    this.dtmfTimer = null;
    const digits = this.digits;
    this.digits = '';
    if (!digits || this.ended) return;
    this.send({
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_text', text: `[The caller pressed these keys on the phone keypad: ${digits}]` },
        ],
      },
    });
    this.respond();
  }

  /** Asks for a response now, or when the active one ends (cancelled if it is still talking). */
  private respond(): void {
    if (!this.activeResponse && this.toolsRunning === 0) return this.send({ type: 'response.create' });
    this.respondWhenIdle = true;
  }

  private onResponseDone(response: ServerEventOfDone['response']): void {
    if (this.activeResponse === response.id) this.activeResponse = null;
    const calls = response.output.flatMap((item) =>
      item.type === 'function_call' && response.status === 'completed' ? [item] : [],
    );
    if (calls.length > 0) {
      void this.runTools(calls);
      return;
    }
    if (this.respondWhenIdle && !this.activeResponse && this.toolsRunning === 0) {
      this.respondWhenIdle = false;
      this.send({ type: 'response.create' });
    }
  }

  private async runTools(
    calls: { id: string; call_id: string; name: string; arguments: string }[],
  ): Promise<void> {
    this.toolsRunning++;
    const outputs = await Promise.all(
      calls.map((c) =>
        runPhoneTool(
          this.o.agent.toolWebhookUrl,
          {
            callSid: this.o.callSid,
            caller: this.o.caller,
            callId: c.call_id,
            name: c.name,
            arguments: c.arguments,
          },
          this.abort.signal,
        ),
      ),
    );
    this.toolsRunning--;
    if (this.ended) return;
    // The results go right after the calls, ahead of anything the caller said meanwhile.
    let previous = calls.at(-1)!.id;
    for (const [i, c] of calls.entries()) {
      const id = newId('item');
      this.send({
        type: 'conversation.item.create',
        previous_item_id: previous,
        item: { id, type: 'function_call_output', call_id: c.call_id, output: outputs[i]! },
      });
      previous = id;
    }
    this.respondWhenIdle = false;
    this.respond();
  }
}

type ServerEventOfDone = Extract<ServerEvent, { type: 'response.done' }>;
