/**
 * Reads the provider-format request bodies the emulators receive (OpenAI chat completions for
 * Groq and Cerebras, Anthropic messages) into the gateway's `LlmRequest`, the input of the
 * offline reply rules. Lenient about fields the rules do not use, strict about the shape of the
 * ones they do: a malformed body is a 400, as the real services answer.
 */
import { z } from 'zod';
import type { LlmMessage, LlmRequest } from '../../providers/types.js';

/** A request body the emulator cannot read; becomes a 400 in the provider's error shape. */
export class BadRequestError extends Error {}

const TextPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const OpenAiContent = z.union([z.string(), z.array(TextPart)]).nullish();

const OpenAiMessage = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: OpenAiContent,
  tool_call_id: z.string().optional(),
  tool_calls: z
    .array(
      z.looseObject({
        id: z.string(),
        function: z.looseObject({ name: z.string(), arguments: z.string() }),
      }),
    )
    .nullish(),
});

const OpenAiBody = z.looseObject({
  model: z.string(),
  messages: z.array(OpenAiMessage).min(1),
  stream: z.boolean().optional(),
  tools: z
    .array(
      z.looseObject({
        type: z.literal('function'),
        function: z.looseObject({ name: z.string(), description: z.string().optional() }),
      }),
    )
    .nullish(),
  tool_choice: z
    .union([
      z.enum(['auto', 'none', 'required']),
      z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string() }) }),
    ])
    .nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
});

/** A parsed OpenAI-style chat request: what the reply rules need, plus the fields the stream echoes. */
export interface ParsedRequest {
  model: string;
  stream: boolean;
  request: LlmRequest;
}

function textOf(content: z.infer<typeof OpenAiContent> | z.infer<typeof AnthropicContent>): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content.map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : '')).join('');
}

function parseOrThrow<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new BadRequestError(`invalid request body: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
}

/** Reads a `POST /chat/completions` body (Groq, Cerebras and other OpenAI-compatible servers). */
export function fromOpenAiChat(body: unknown): ParsedRequest {
  const b = parseOrThrow(OpenAiBody, body);
  const instructions: string[] = [];
  const messages: LlmMessage[] = [];
  for (const m of b.messages) {
    const content = textOf(m.content);
    if (m.role === 'system' || m.role === 'developer') instructions.push(content);
    else if (m.role === 'user') messages.push({ role: 'user', content });
    else if (m.role === 'tool') messages.push({ role: 'tool', toolCallId: m.tool_call_id ?? '', content });
    else {
      const toolCalls = (m.tool_calls ?? []).map((c) => ({
        id: c.id,
        name: c.function.name,
        arguments: c.function.arguments,
      }));
      messages.push(
        toolCalls.length ? { role: 'assistant', content, toolCalls } : { role: 'assistant', content },
      );
    }
  }
  const choice = b.tool_choice ?? 'auto';
  return {
    model: b.model,
    stream: b.stream ?? false,
    request: {
      instructions: instructions.join('\n'),
      messages,
      tools: (b.tools ?? []).map((t) => ({ name: t.function.name })),
      toolChoice: typeof choice === 'string' ? choice : { name: choice.function.name },
      maxOutputTokens: b.max_completion_tokens ?? b.max_tokens ?? null,
    },
  };
}

const AnthropicBlock = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  id: z.string().optional(),
  name: z.string().optional(),
  input: z.unknown().optional(),
  tool_use_id: z.string().optional(),
  content: z.union([z.string(), z.array(TextPart)]).optional(),
});
const AnthropicContent = z.union([z.string(), z.array(AnthropicBlock)]);

const AnthropicBody = z.looseObject({
  model: z.string(),
  max_tokens: z.number().int().min(1),
  system: z.union([z.string(), z.array(TextPart)]).optional(),
  messages: z.array(z.looseObject({ role: z.enum(['user', 'assistant']), content: AnthropicContent })).min(1),
  stream: z.boolean().optional(),
  tools: z.array(z.looseObject({ name: z.string() })).optional(),
  tool_choice: z
    .looseObject({ type: z.enum(['auto', 'any', 'tool', 'none']), name: z.string().optional() })
    .optional(),
});

/** Reads a `POST /v1/messages` body: tool_result blocks become tool messages, tool_use blocks tool calls. */
export function fromAnthropicMessages(body: unknown): ParsedRequest {
  const b = parseOrThrow(AnthropicBody, body);
  const messages: LlmMessage[] = [];
  for (const m of b.messages) {
    const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    if (m.role === 'assistant') {
      const toolCalls = blocks
        .filter((x) => x.type === 'tool_use')
        .map((x) => ({ id: x.id ?? '', name: x.name ?? '', arguments: JSON.stringify(x.input ?? {}) }));
      const content = textOf(blocks);
      messages.push(
        toolCalls.length ? { role: 'assistant', content, toolCalls } : { role: 'assistant', content },
      );
      continue;
    }
    for (const x of blocks) {
      if (x.type === 'tool_result') {
        messages.push({ role: 'tool', toolCallId: x.tool_use_id ?? '', content: textOf(x.content) });
      }
    }
    const text = textOf(blocks);
    if (text || !blocks.some((x) => x.type === 'tool_result')) messages.push({ role: 'user', content: text });
  }
  const choice = b.tool_choice;
  const toolChoice: LlmRequest['toolChoice'] =
    choice?.type === 'tool' && choice.name
      ? { name: choice.name }
      : choice?.type === 'any'
        ? 'required'
        : choice?.type === 'none'
          ? 'none'
          : 'auto';
  return {
    model: b.model,
    stream: b.stream ?? false,
    request: {
      instructions: textOf(b.system),
      messages,
      tools: (b.tools ?? []).map((t) => ({ name: t.name })),
      toolChoice,
      maxOutputTokens: b.max_tokens,
    },
  };
}
