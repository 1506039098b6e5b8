/**
 * A session's running responses: starting one (its admission, its request to the LLM, the run),
 * cancelling one, and telling when none runs. Server-VAD turns start theirs here too, and a
 * confirmed speculative response joins the others through `activate`.
 */
import type { ClientEventOf, ResponseParams, SessionObject } from '../../protocol/realtime/index.js';
import type { Stages } from '../providers/types.js';
import type { Conversation, Entry } from './conversation.js';
import type { EventWriter } from './event-writer.js';
import { fixedTextLlm } from './fixed-text.js';
import type { ContextWindow } from './llm-truncation.js';
import type { SessionLimits } from './limits.js';
import type { SessionLog } from './realtime-session.js';
import { admitResponse } from './response-admission.js';
import { awaitTranscripts, prepareRequest } from './response-request.js';
import type { LanguagePolicy } from './response-request.js';
import { ResponseRun } from './response-run.js';
import type { TurnLatency } from './turn-latency.js';

/** What responses need of their session. */
export interface ResponsesHost {
  readonly id: string;
  /** The effective session now (it changes with session.update). */
  session(): SessionObject;
  readonly conversation: Conversation;
  readonly writer: EventWriter;
  readonly stages: Stages;
  readonly limits: Pick<SessionLimits, 'maxConcurrentResponses' | 'transcriptWaitMs' | 'llmContextTokens'>;
  readonly resolveVoice: (voice: string, language: string | undefined) => string;
  readonly languagePolicy: LanguagePolicy | undefined;
  /** Log each LLM request's instructions and messages (`LOG_CONTENT`). */
  readonly logContent: boolean;
  readonly log: SessionLog;
  /** Transcribes a `response.input` item's inline audio, with no events (it is not in the conversation). */
  transcribeClientAudio(entry: Entry, audio: Uint8Array | null): void;
  /** A response sent audio to the client. */
  audioSent(): void;
  /** A response ended, whichever way. */
  finished(run: ResponseRun): void;
  onTurnLatency: ((latency: TurnLatency) => void) | undefined;
  /** Session `truncation` left items of the conversation out of an LLM request (metrics). */
  onContextCut: (() => void) | undefined;
}

/** The responses one session runs. */
export class Responses {
  private readonly active = new Set<ResponseRun>();
  private readonly latencyOf = new Map<ResponseRun, () => TurnLatency>();
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  /** Where the LLM's view of the default conversation starts (session `truncation`). */
  private readonly window: ContextWindow = {};

  constructor(private readonly h: ResponsesHost) {}

  /** Number of running responses. */
  get size(): number {
    return this.active.size;
  }

  /** The running responses. */
  all(): Iterable<ResponseRun> {
    return this.active;
  }

  /**
   * Starts a response for a client's `response.create` or for a turn server VAD detected;
   * undefined when refused (the error was sent).
   */
  create(
    params: ResponseParams,
    eventId: string | undefined,
    /** A speculative response: held until the turn is confirmed; its context comes late. */
    speculative?: { context: () => Promise<readonly Entry[]> },
    /** Words to speak as they are, instead of asking the LLM. */
    fixedText?: string,
  ): ResponseRun | undefined {
    const h = this.h;
    const admission = admitResponse(params, {
      session: h.session(),
      conversation: h.conversation,
      activeInConversation: this.inConversation()?.id,
      activeCount: this.active.size,
      maxConcurrentResponses: h.limits.maxConcurrentResponses,
    });
    if (!admission.ok) {
      h.writer.refuse(admission.code, eventId, admission.param, admission.message);
      return undefined;
    }
    const { session, outOfBand } = admission;
    let context = admission.context;
    for (const { entry, audio } of admission.clientItems) h.transcribeClientAudio(entry, audio);
    const voice = params.audio?.output?.voice ?? session.audio.output.voice;
    const run = new ResponseRun({
      writer: h.writer,
      stages: fixedText === undefined ? h.stages : { ...h.stages, llm: fixedTextLlm(fixedText) },
      conversation: outOfBand ? null : h.conversation,
      modalities:
        (params.output_modalities ?? session.output_modalities)[0] === 'text' ? ['text'] : ['audio'],
      format: params.audio?.output?.format ?? session.audio.output.format,
      voice,
      speed: session.audio.output.speed,
      maxOutputTokens: params.max_output_tokens ?? session.max_output_tokens,
      metadata: params.metadata ?? null,
      prepare: async () => {
        if (speculative) context = await speculative.context();
        else
          await awaitTranscripts(context, h.limits.transcriptWaitMs).catch((err: unknown) => {
            // Words spoken as they are answer nothing the user said: they wait for its language only.
            if (fixedText === undefined) throw err;
          });
        const prepared = prepareRequest({
          session,
          params,
          context,
          voice: typeof voice === 'string' ? voice : voice.id,
          resolveVoice: h.resolveVoice,
          policy: h.languagePolicy,
          llmContext:
            // Words spoken as they are reach no LLM: their request carries no conversation, so no
            // truncation setting can fail them, and the conversation's start stays where it is.
            fixedText !== undefined
              ? null
              : {
                  tokens: h.limits.llmContextTokens,
                  // A context of the response's own (`input`) is cut on its own. An out-of-band
                  // response over the conversation starts where the conversation's requests do,
                  // and leaves that start where it is (it gets a copy). A discarded speculative
                  // response may move it: its context is the same conversation, cut as the
                  // confirmed turn's would be.
                  window: params.input ? undefined : outOfBand ? { ...this.window } : this.window,
                },
        });
        // Words spoken as they are are logged as the response's content, not as a request.
        if (h.logContent && fixedText === undefined) {
          h.log('info', 'llm request', {
            sessionId: h.id,
            responseId: run.id,
            instructions: prepared.request.instructions,
            prompt: prepared.request.messages,
          });
        }
        return prepared;
      },
      onContextCut: ({ leftOut, kept }) => {
        h.log('info', 'llm context truncated', {
          sessionId: h.id,
          responseId: run.id,
          leftOutItems: leftOut,
          keptItems: kept,
        });
        h.onContextCut?.();
      },
      onAudio: () => h.audioSent(),
      onDone: (r) => this.done(r),
      log: (msg, fields) => h.log('warn', msg, { sessionId: h.id, ...fields }),
    });
    if (speculative) {
      run.start(true);
      return run;
    }
    this.active.add(run);
    run.start();
    return run;
  }

  /** A confirmed speculative response joins the running ones. */
  activate(run: ResponseRun): void {
    this.active.add(run);
  }

  /** How to tell this turn's latency once its response is done. */
  measure(run: ResponseRun, latency: () => TurnLatency): void {
    this.latencyOf.set(run, latency);
  }

  /** `response.cancel`: the named response, else the default conversation's, else the latest. */
  cancel(event: ClientEventOf<'response.cancel'>): void {
    let target: ResponseRun | undefined;
    if (event.response_id !== undefined) target = [...this.active].find((r) => r.id === event.response_id);
    else target = this.inConversation() ?? [...this.active].at(-1);
    if (!target) {
      const param = event.response_id !== undefined ? 'response_id' : null;
      this.h.writer.refuse('response_cancel_not_active', event.event_id, param);
      return;
    }
    target.cancel('client_cancelled');
  }

  /** The running response of the default conversation, if any. */
  inConversation(): ResponseRun | undefined {
    for (const run of this.active) if (run.inConversation) return run;
    return undefined;
  }

  /** Resolves when no response is running (at once if none is), or when the session closes. */
  whenIdle(): Promise<void> {
    if (this.closed || this.active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Cancels every running response; `whenIdle` resolves from now on. */
  close(): void {
    this.closed = true;
    for (const run of this.active) run.cancel('client_cancelled');
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private done(run: ResponseRun): void {
    this.active.delete(run);
    if (this.active.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    this.h.finished(run);
    const latency = this.latencyOf.get(run)?.();
    this.latencyOf.delete(run);
    if (latency && run.timings.firstAudioAt !== undefined) {
      this.h.log('info', 'turn latency', { sessionId: this.h.id, responseId: run.id, ...latency });
      this.h.onTurnLatency?.(latency);
    }
  }
}
