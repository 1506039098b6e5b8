/**
 * The emulated LLMs' deterministic reply. The rules are the documented offline behaviour of
 * `echoScript` (src/providers/fake/scripted-llm.ts), reused here rather than copied: the
 * emulators convert their provider-format request to an `LlmRequest` and read the script's
 * steps back as a plan of tokens or one tool call.
 */
import { echoScript } from '../../providers/fake/scripted-llm.js';
import type { LlmRequest, LlmUsage } from '../../providers/types.js';

/** What an emulated model answers to one request. */
export type OfflineReply =
  | { kind: 'text'; tokens: string[]; finishReason: 'stop' | 'length'; usage: LlmUsage }
  | { kind: 'tool_call'; name: string; arguments: string; usage: LlmUsage };

const SCRIPT = echoScript({ firstTokenMs: 0, tokenMs: 0 });

/** The offline reply to `request`: a tool call, `The result is ...`, or `You said: ...`. */
export function offlineReply(request: LlmRequest): OfflineReply {
  const steps = SCRIPT(request);
  const done = steps.find((s) => s.type === 'done');
  const usage = done?.usage ?? { inputTokens: 0, outputTokens: 0 };
  const call = steps.find((s) => s.type === 'tool_call');
  if (call) return { kind: 'tool_call', name: call.name ?? '', arguments: call.argumentsDelta, usage };
  const tokens = steps.flatMap((s) => (s.type === 'text' ? [s.delta] : []));
  return { kind: 'text', tokens, finishReason: done?.finishReason === 'length' ? 'length' : 'stop', usage };
}

/** Splits tool-call arguments into `parts` fragments (at least one, the last taking the rest). */
export function splitArguments(args: string, parts: number): string[] {
  const n = Math.max(1, Math.min(Math.floor(parts), args.length || 1));
  const size = Math.ceil(args.length / n);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(args.slice(i * size, (i + 1) * size));
  return out.filter((p, i) => p.length > 0 || i === 0);
}
