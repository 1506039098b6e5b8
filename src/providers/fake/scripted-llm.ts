/**
 * An in-process LLM that follows a script. The default script is the offline behaviour the
 * gateway documents: `call <tool> {json}` calls a tool the request offers, a tool result is read
 * back as `The result is <output>.`, anything else is echoed as `You said: <text>.`
 */
import { sleep } from '../../util/abort.js';
import type { LlmEvent, LlmRequest, LlmStage } from '../types.js';

/** Requests a stand-in keeps for tests to read; a long session must not grow it without end. */
export const MAX_RECORDED = 100;

/** A scripted step: an event to yield, a pause, or a failure. */
export type LlmStep = LlmEvent | { type: 'wait'; ms: number } | { type: 'fail'; message: string };

/** Produces the steps of one generation from its request. */
export type LlmScript = (request: LlmRequest) => LlmStep[];

/** Timing of the default script. */
export interface EchoTiming {
  /** Pause before the first token. */
  firstTokenMs: number;
  /** Pause between tokens. */
  tokenMs: number;
}

/** An LLM stage driven by a script; it records every request it gets. */
export class ScriptedLlm implements LlmStage {
  readonly label = 'fake.llm';
  readonly requests: LlmRequest[] = [];

  constructor(private readonly script: LlmScript = echoScript()) {}

  async *generate(request: LlmRequest, signal: AbortSignal): AsyncIterable<LlmEvent> {
    this.requests.push(request);
    if (this.requests.length > MAX_RECORDED) this.requests.shift();
    for (const step of this.script(request)) {
      if (signal.aborted) return;
      if (step.type === 'wait') await sleep(step.ms, signal);
      else if (step.type === 'fail') throw new Error(step.message);
      else yield step;
    }
  }
}

/** The documented offline behaviour, token by token. */
export function echoScript(timing: EchoTiming = { firstTokenMs: 0, tokenMs: 0 }): LlmScript {
  return (request) => {
    const call = requestedToolCall(request);
    if (call) {
      return [
        { type: 'wait', ms: timing.firstTokenMs },
        { type: 'tool_call', index: 0, id: undefined, name: call.name, argumentsDelta: call.arguments },
        { type: 'done', finishReason: 'tool_calls', usage: usageOf(request, call.arguments) },
      ];
    }
    return textSteps(replyTo(request), request, timing);
  };
}

/** Splits a reply into word tokens with pauses, honouring `maxOutputTokens`. */
export function textSteps(reply: string, request: LlmRequest, timing: EchoTiming): LlmStep[] {
  const tokens = reply.match(/\S+\s*/g) ?? [];
  const limit = request.maxOutputTokens ?? Infinity;
  const kept = tokens.slice(0, limit);
  const steps: LlmStep[] = [{ type: 'wait', ms: timing.firstTokenMs }];
  kept.forEach((t, i) => {
    if (i > 0 && timing.tokenMs > 0) steps.push({ type: 'wait', ms: timing.tokenMs });
    steps.push({ type: 'text', delta: t });
  });
  const finishReason = kept.length < tokens.length ? 'length' : 'stop';
  steps.push({
    type: 'done',
    finishReason,
    usage: { inputTokens: countTokens(request), outputTokens: kept.length },
  });
  return steps;
}

function replyTo(request: LlmRequest): string {
  const last = request.messages.at(-1);
  if (last?.role === 'tool') return `The result is ${last.content}.`;
  const user = [...request.messages].reverse().find((m) => m.role === 'user');
  const text = user?.content.trim();
  return text ? `You said: ${text.replace(/[.!?]+$/, '')}.` : 'Hello.';
}

function requestedToolCall(request: LlmRequest): { name: string; arguments: string } | null {
  if (request.toolChoice === 'none' || request.messages.at(-1)?.role !== 'user') return null;
  const text = request.messages.at(-1)?.content ?? '';
  for (const tool of request.tools) {
    const at = text.indexOf(`call ${tool.name}`);
    if (at < 0) continue;
    const rest = text.slice(at + `call ${tool.name}`.length).trim();
    return { name: tool.name, arguments: leadingJsonObject(rest) ?? '{}' };
  }
  return null;
}

/** The JSON object at the start of `text`, if there is one. */
function leadingJsonObject(text: string): string | null {
  if (!text.startsWith('{')) return null;
  for (let end = text.indexOf('}'); end >= 0; end = text.indexOf('}', end + 1)) {
    try {
      const candidate = text.slice(0, end + 1);
      JSON.parse(candidate);
      return candidate;
    } catch {
      // not yet a whole object; extend to the next brace
    }
  }
  return null;
}

function countTokens(request: LlmRequest): number {
  const chars = request.instructions.length + request.messages.reduce((n, m) => n + m.content.length, 0);
  return Math.ceil(chars / 4);
}

function usageOf(request: LlmRequest, output: string) {
  return { inputTokens: countTokens(request), outputTokens: Math.ceil(output.length / 4) };
}
