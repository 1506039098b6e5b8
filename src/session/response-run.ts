/**
 * One response from `response.created` to `response.done`: drives the LLM and TTS stages and
 * turns what they produce into server events in the order clients depend on
 * (shared/realtime-protocol.md 4.2 to 4.4). Cancellation closes every open part and item at once,
 * with its `.done` event, before `response.done`; late stage output is then dropped.
 */
import { ERROR_CODES } from '../../protocol/realtime/index.js';
import type {
  ErrorCode,
  OutgoingEvent,
  AudioFormat,
  FunctionCallItem,
  MessageItem,
  ResponseObject,
  ResponseStatusDetails,
  Usage,
  Voice,
} from '../../protocol/realtime/index.js';
import { encodeBase64 } from '../audio/base64.js';
import { ByteBlocks } from '../audio/byte-blocks.js';
import { AUDIO_FORMATS, bytesPerMs } from '../audio/formats.js';
import { SentenceChunker } from '../pipeline/sentence-chunker.js';
import type { AudioSpec, LlmRequest, LlmUsage, Stages, WordTiming } from '../providers/types.js';
import { Channel } from '../util/channel.js';
import { newId } from '../util/ids.js';
import { OutputAudioPacer } from './audio-pacer.js';
import type { Conversation } from './conversation.js';
import type { EventWriter } from './event-writer.js';
import { ContextTooLongError } from './llm-truncation.js';
import type { ContextCut } from './llm-truncation.js';

/** Sentences waiting for the TTS; past this the LLM stream is paused until the TTS catches up. */
const MAX_PENDING_TTS_PIECES = 64;

/** Everything a response needs, fixed when it is created. */
export interface ResponseSetup {
  writer: EventWriter;
  stages: Stages;
  /** The default conversation, or null for an out-of-band response (`conversation: "none"`). */
  conversation: Conversation | null;
  modalities: ['text'] | ['audio'];
  format: AudioFormat;
  voice: Voice;

  speed: number;
  maxOutputTokens: number | 'inf';
  metadata: Record<string, string> | null;
  /** Resolves to the LLM request once pending user transcripts are in. */
  prepare: () => Promise<PreparedResponse>;
  /** Told when the request about to go to the LLM left items of its context out. */
  onContextCut?: (cut: ContextCut) => void;
  /** Called when audio first goes out (the session's voice is then fixed). */
  onAudio: () => void;
  /** Called once, after `response.done`. */
  onDone: (run: ResponseRun) => void;
  log: (msg: string, fields: Record<string, unknown>) => void;
}

/** What a response learns once pending user transcripts are in. */
export interface PreparedResponse {
  request: LlmRequest;
  /** Provider voice id the TTS gets. */
  ttsVoice: string;
  /** Language the TTS speaks (the user's, when the STT detected it); undefined: its default. */
  language?: string;
  /** Session truncation left items of the context out of `request`: how many, and how many it has. */
  cut?: ContextCut;
}

/** Moments of one response, in `performance.now()` milliseconds. */
export interface ResponseTimings {
  llmStartAt?: number;
  llmFirstTokenAt?: number;
  /** The first sentence went to the TTS. */
  ttsFirstPieceAt?: number;
  /** The first audio delta was produced (sent then, unless held). */
  firstAudioAt?: number;
  /** A held (speculative) response was released to the client. */
  releasedAt?: number;
}

/** Why a response was cancelled. */
export type CancelReason = 'client_cancelled' | 'turn_detected';

interface MessageSlot {
  kind: 'message';
  item: MessageItem;
  outputIndex: number;
  text: string;
  audio: Uint8Array[];
  words: WordTiming[];
}
interface CallSlot {
  kind: 'call';
  item: FunctionCallItem;
  outputIndex: number;
}
type Slot = MessageSlot | CallSlot;

/** A running response. */
export class ResponseRun {
  readonly id = newId('resp');
  private readonly controller = new AbortController();
  private readonly slots: Slot[] = [];
  private readonly calls = new Map<number, CallSlot>();
  private message: MessageSlot | null = null;
  private finished = false;
  private held = false;
  /** How the response ended; null while it runs. */
  outcome: ResponseObject['status'] | null = null;
  /** What a held response would have sent or written, in order. */
  private readonly queue: (() => void)[] = [];
  /** When each stage began and first delivered (`performance.now()`), for latency logs and benchmarks. */
  readonly timings: ResponseTimings = {};
  private voice: { id: string; language?: string } = { id: '' };
  private usage: LlmUsage | null = null;

  constructor(private readonly s: ResponseSetup) {}

  /** True once `response.done` has been sent. */
  get done(): boolean {
    return this.finished;
  }

  /** Milliseconds of audio this response sent. */
  get audioMs(): number {
    const bytes = this.slots.reduce(
      (n, s) => (s.kind === 'message' ? n + s.audio.reduce((m, c) => m + c.byteLength, 0) : n),
      0,
    );
    return bytes / bytesPerMs(this.s.format.type);
  }

  /** Whether this response produced the item with this id. */
  owns(itemId: string): boolean {
    return this.slots.some((s) => s.item.id === itemId);
  }

  /** Whether this response writes to the default conversation. */
  get inConversation(): boolean {
    return this.s.conversation !== null;
  }

  /**
   * Sends `response.created` and runs the stages in the background. A held response (speculative
   * turn start) runs the same, but nothing reaches the client or the conversation until
   * `release()`; `discard()` drops it without a trace.
   */
  start(held = false): void {
    this.held = held;
    this.emit({ type: 'response.created', response: this.object('in_progress', null) });
    void this.run();
  }

  /** Whether the response is held back (speculative). */
  get isHeld(): boolean {
    return this.held;
  }

  /** Sends everything a held response produced so far, in order, and goes on live. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.timings.releasedAt = performance.now();
    for (const fn of this.queue.splice(0)) fn();
  }

  /** Drops a held response: stages stopped, nothing sent, nothing kept. */
  discard(): void {
    if (!this.held) return;
    this.finished = true;
    this.controller.abort();
    this.queue.length = 0;
  }

  /** Ends the response now: open parts and items are closed, then `response.done` (cancelled). */
  cancel(reason: CancelReason): void {
    this.finish('cancelled', { type: 'cancelled', reason });
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    let ttsTask: Promise<void> | null = null;
    let pieces: Channel<string> | null = null;
    const chunker = new SentenceChunker();
    let finishReason: 'stop' | 'length' | 'tool_calls' = 'stop';
    try {
      const prepared = await this.s.prepare();
      if (this.finished) return;
      // Told here, not while preparing: a response cancelled meanwhile sends no request.
      if (prepared.cut) this.s.onContextCut?.(prepared.cut);
      this.voice = { id: prepared.ttsVoice, language: prepared.language };
      const { request } = prepared;
      this.timings.llmStartAt = performance.now();
      for await (const ev of this.s.stages.llm.generate(request, signal)) {
        if (this.finished) return;
        this.timings.llmFirstTokenAt ??= performance.now();
        if (ev.type === 'text') {
          if (!ev.delta) continue;
          const slot = this.openMessage();
          slot.text += ev.delta;
          if (this.s.modalities[0] === 'audio') {
            this.emitPart(slot, 'response.output_audio_transcript.delta', ev.delta);
            if (!pieces) {
              pieces = new Channel<string>(MAX_PENDING_TTS_PIECES);
              ttsTask = this.speak(slot, pieces, signal);
            }
            for (const piece of chunker.push(ev.delta)) {
              this.timings.ttsFirstPieceAt ??= performance.now();
              await pieces.send(piece);
            }
          } else {
            this.emitPart(slot, 'response.output_text.delta', ev.delta);
          }
        } else if (ev.type === 'tool_call') {
          this.toolDelta(ev.index, ev.id, ev.name, ev.argumentsDelta);
        } else {
          finishReason = ev.finishReason;
          this.usage = ev.usage;
        }
      }
      if (pieces) {
        const rest = chunker.flush();
        if (rest) {
          this.timings.ttsFirstPieceAt ??= performance.now();
          await pieces.send(rest);
        }
        pieces.close();
        await ttsTask;
      }
      if (this.finished) return;
      if (finishReason === 'length')
        this.finish('incomplete', { type: 'incomplete', reason: 'max_output_tokens' });
      else this.finish('completed', null);
    } catch (err) {
      this.fail(err);
    } finally {
      // Ends the TTS input on every path, so a cancelled response leaves no stage waiting.
      (pieces as Channel<string> | null)?.close();
    }
  }

  /** Feeds sentences to the TTS and streams its audio out as deltas. */
  private async speak(slot: MessageSlot, pieces: Channel<string>, signal: AbortSignal): Promise<void> {
    const spec = audioSpecOf(this.s.format);
    // The item keeps what was sent: held audio that a cancel drops was never heard. It is copied
    // into blocks of its own: TTS chunks are slices of Node's Buffer pool (byte-blocks.ts).
    const blocks = new ByteBlocks();
    const pacer = new OutputAudioPacer(bytesPerMs(this.s.format.type), (audio) => {
      if (this.finished) return;
      blocks.appendTo(slot.audio, audio);
      this.s.onAudio();
      this.timings.firstAudioAt ??= performance.now();
      this.emitPart(slot, 'response.output_audio.delta', encodeBase64(audio));
    });
    try {
      const opts = { audio: spec, voice: this.voice.id, speed: this.s.speed, language: this.voice.language };
      for await (const chunk of this.s.stages.tts.synthesize(pieces, opts, signal)) {
        if (this.finished) return;
        if (chunk.words) slot.words.push(...chunk.words);
        pacer.push(chunk.audio);
        // A slow reader: stop pulling audio until its socket drains, so the TTS (and, through the
        // sentence channel, the LLM) slows down instead of audio piling up in memory.
        if (this.s.writer.congested) await this.s.writer.waitForRoom(signal);
      }
      pacer.flush();
    } catch (err) {
      this.fail(err);
    } finally {
      pacer.stop();
    }
  }

  private fail(err: unknown): void {
    // Only this response's own abort is quiet: a provider's internal AbortError is a failure.
    if (this.finished || this.controller.signal.aborted) return;
    const message = err instanceof Error ? err.message : String(err);
    this.s.log('response failed', { responseId: this.id, error: message });
    const code: ErrorCode = err instanceof ContextTooLongError ? 'context_length_exceeded' : 'provider_error';
    this.finish('failed', { type: 'failed', error: { type: ERROR_CODES[code].type, code } });
  }

  private openMessage(): MessageSlot {
    if (this.message) return this.message;
    const item: MessageItem = {
      id: newId('item'),
      object: 'realtime.item',
      type: 'message',
      status: 'in_progress',
      role: 'assistant',
      content: [],
    };
    const slot: MessageSlot = {
      kind: 'message',
      item,
      outputIndex: this.slots.length,
      text: '',
      audio: [],
      words: [],
    };
    this.message = slot;
    this.addItem(slot);
    const part =
      this.s.modalities[0] === 'audio'
        ? { type: 'audio' as const, transcript: '' }
        : { type: 'text' as const, text: '' };
    this.emit({ type: 'response.content_part.added', ...this.partIds(slot), part });
    return slot;
  }

  private toolDelta(index: number, id: string | undefined, name: string | undefined, delta: string): void {
    let slot = this.calls.get(index);
    if (!slot) {
      const item: FunctionCallItem = {
        id: newId('item'),
        object: 'realtime.item',
        type: 'function_call',
        status: 'in_progress',
        call_id: id ?? newId('call'),
        name: name ?? '',
        arguments: '',
      };
      slot = { kind: 'call', item, outputIndex: this.slots.length };
      this.calls.set(index, slot);
      this.addItem(slot);
    }
    if (!delta) return;
    slot.item.arguments += delta;
    this.emit({
      type: 'response.function_call_arguments.delta',
      response_id: this.id,
      item_id: slot.item.id,
      output_index: slot.outputIndex,
      call_id: slot.item.call_id,
      delta,
    });
  }

  private addItem(slot: Slot): void {
    this.slots.push(slot);
    this.emit({
      type: 'response.output_item.added',
      response_id: this.id,
      output_index: slot.outputIndex,
      item: { ...slot.item },
    });
    const conv = this.s.conversation;
    if (!conv) return;
    const item = { ...slot.item };
    this.later(() => {
      const inserted = conv.insert({ item: slot.item, extras: {} }, undefined, true);
      // Room was checked when the response was accepted, and its own items are inserted past the
      // limit, so an item announced here is never missing from the conversation.
      if (inserted.ok)
        this.s.writer.emit({
          type: 'conversation.item.added',
          previous_item_id: inserted.previousItemId,
          item,
        });
    });
  }

  /** Sends an event now, or queues it while held (the event is built now: it is a snapshot). */
  private emit(event: OutgoingEvent): void {
    if (this.held) this.queue.push(() => this.s.writer.emit(event));
    else this.s.writer.emit(event);
  }

  /** Runs a conversation write or callback now, or in order at release while held. */
  private later(fn: () => void): void {
    if (this.held) this.queue.push(fn);
    else fn();
  }

  private partIds(slot: MessageSlot) {
    return { response_id: this.id, item_id: slot.item.id, output_index: slot.outputIndex, content_index: 0 };
  }

  private emitPart(
    slot: MessageSlot,
    type:
      'response.output_text.delta' | 'response.output_audio.delta' | 'response.output_audio_transcript.delta',
    delta: string,
  ): void {
    this.emit({ type, ...this.partIds(slot), delta });
  }

  /** Closes what is open, records the outcome and sends `response.done`. Runs once. */
  private finish(status: ResponseObject['status'], details: ResponseStatusDetails): void {
    if (this.finished) return;
    this.finished = true;
    this.outcome = status;
    this.controller.abort();
    const itemStatus = status === 'completed' ? 'completed' : 'incomplete';
    for (const slot of this.slots) this.closeSlot(slot, itemStatus);
    this.emit({ type: 'response.done', response: this.object(status, details) });
    this.later(() => this.s.onDone(this));
  }

  private closeSlot(slot: Slot, status: 'completed' | 'incomplete'): void {
    if (slot.kind === 'call') {
      this.emit({
        type: 'response.function_call_arguments.done',
        response_id: this.id,
        item_id: slot.item.id,
        output_index: slot.outputIndex,
        call_id: slot.item.call_id,
        name: slot.item.name,
        arguments: slot.item.arguments,
      });
    } else if (this.s.modalities[0] === 'audio') {
      this.emit({ type: 'response.output_audio.done', ...this.partIds(slot) });
      this.emit({
        type: 'response.output_audio_transcript.done',
        ...this.partIds(slot),
        transcript: slot.text,
      });
      this.emit({
        type: 'response.content_part.done',
        ...this.partIds(slot),
        part: { type: 'audio', transcript: slot.text },
      });
      slot.item.content = [{ type: 'output_audio', transcript: slot.text }];
    } else {
      this.emit({ type: 'response.output_text.done', ...this.partIds(slot), text: slot.text });
      this.emit({
        type: 'response.content_part.done',
        ...this.partIds(slot),
        part: { type: 'text', text: slot.text },
      });
      slot.item.content = [{ type: 'output_text', text: slot.text }];
    }
    slot.item.status = status;
    this.emit({
      type: 'response.output_item.done',
      response_id: this.id,
      output_index: slot.outputIndex,
      item: { ...slot.item },
    });
    const item = { ...slot.item };
    this.later(() => {
      const conv = this.s.conversation;
      const entry = conv?.get(slot.item.id);
      if (!conv || !entry) return;
      if (slot.kind === 'message' && slot.audio.length > 0) {
        entry.extras.words = slot.words;
        conv.setAudio(entry, slot.audio, bytesPerMs(this.s.format.type));
      }
      const index = conv.entries().indexOf(entry);
      const previous = index > 0 ? conv.entries()[index - 1]!.item.id : null;
      this.s.writer.emit({ type: 'conversation.item.done', previous_item_id: previous, item });
    });
  }

  private object(status: ResponseObject['status'], details: ResponseStatusDetails): ResponseObject {
    const done = status !== 'in_progress';
    return {
      object: 'realtime.response',
      id: this.id,
      status,
      status_details: details,
      output: done ? this.slots.map((s) => ({ ...s.item })) : [],
      conversation_id: this.s.conversation?.id ?? null,
      output_modalities: this.s.modalities,
      max_output_tokens: this.s.maxOutputTokens,
      audio: { output: { format: this.s.format, voice: this.s.voice } },
      usage: done ? this.usageObject() : null,
      metadata: this.s.metadata,
    };
  }

  private usageObject(): Usage {
    const input = this.usage?.inputTokens ?? 0;
    const output = this.usage?.outputTokens ?? 0;
    // Audio tokens are an OpenAI billing unit with no counterpart in this pipeline: reported as 0.
    return {
      total_tokens: input + output,
      input_tokens: input,
      output_tokens: output,
      input_token_details: {
        text_tokens: input,
        audio_tokens: 0,
        image_tokens: 0,
        cached_tokens: 0,
        cached_tokens_details: { text_tokens: 0, audio_tokens: 0, image_tokens: 0 },
      },
      output_token_details: { text_tokens: output, audio_tokens: 0 },
    };
  }
}

/** The stage-side description of a Realtime audio format. */
export function audioSpecOf(format: AudioFormat): AudioSpec {
  return { encoding: ENCODING_OF[format.type], sampleRate: AUDIO_FORMATS[format.type].sampleRate };
}

const ENCODING_OF: Record<AudioFormat['type'], AudioSpec['encoding']> = {
  'audio/pcm': 'pcm16',
  'audio/pcmu': 'mulaw',
  'audio/pcma': 'alaw',
};
