/**
 * The agent that answers phone calls: what a Realtime client would set with `session.update`
 * (instructions, tools, voice, turn detection), plus what only a call needs: a greeting and
 * instructions per language, and the webhook that runs its tools (a call has no client to run them).
 */
import { z } from 'zod';
import { RealtimeSessionUpdateSchema } from '../../protocol/realtime/index.js';
import type { RealtimeSessionUpdate } from '../../protocol/realtime/index.js';

/** The call agent, validated. */
export interface CallAgent {
  /** Applied with `session.update` when a call starts; audio formats are the phone's, whatever this says. */
  session: RealtimeSessionUpdate;
  /** Spoken when the call connects, by language (`en`, `es`). */
  greetings: Record<string, string>;
  /** The LLM's instructions by language; a language without an entry uses `session.instructions`. */
  instructions: Record<string, string>;
  /** Where tool calls are POSTed; null: tools answer with an error saying none is configured. */
  toolWebhookUrl: string | null;
}

const PHONE_STYLE =
  'You are speaking on a phone call: the caller hears your words and cannot see anything. Answer in one to three short sentences of plain speech, with no markdown, lists or emoji. Say numbers, email addresses and symbols the way a person would.';

/** The agent when none is configured: an English and a Spanish greeting and phone-shaped instructions. */
export const DEFAULT_CALL_AGENT: CallAgent = {
  session: { type: 'realtime' },
  greetings: {
    en: 'Hello! How can I help you today?',
    es: '¡Hola! ¿En qué puedo ayudarle hoy?',
  },
  instructions: {
    en: `${PHONE_STYLE} Answer in English.`,
    es: 'Estás atendiendo una llamada telefónica: la persona escucha tus palabras y no puede ver nada. Responde en español, en una a tres frases cortas y naturales, sin formato, listas ni emojis. Trata siempre a la persona de usted, con cortesía. Di los números, correos y símbolos como los diría una persona.',
  },
  toolWebhookUrl: null,
};

const CallAgentSchema = z.strictObject({
  session: RealtimeSessionUpdateSchema.optional(),
  greetings: z.record(z.string().min(2).max(35), z.string().min(1).max(2_000)).optional(),
  instructions: z.record(z.string().min(2).max(35), z.string().min(1).max(100_000)).optional(),
  tool_webhook_url: z.url({ protocol: /^https?$/ }).optional(),
});

/**
 * Reads a call agent from JSON text (`TWILIO_AGENT_FILE` or `TWILIO_AGENT`); what it leaves out
 * comes from the default agent. Returns the reason when the text is not a valid agent.
 */
export function parseCallAgent(
  text: string,
  source: string,
): { ok: true; agent: CallAgent } | { ok: false; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `${source} is not JSON (${(err as Error).message}).` };
  }
  const parsed = CallAgentSchema.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    return {
      ok: false,
      message: `${source} is not a call agent: ${lines.join('; ')}. Expected {"session": {<session.update session>}, "greetings": {"en": "..."}, "instructions": {"en": "..."}, "tool_webhook_url": "https://..."}.`,
    };
  }
  const a = parsed.data;
  const session = a.session ?? DEFAULT_CALL_AGENT.session;
  return {
    ok: true,
    agent: {
      session,
      // An agent's own greetings replace the defaults: an English-only agent greets no one in Spanish.
      greetings: a.greetings ?? DEFAULT_CALL_AGENT.greetings,
      // Instructions given in the session replace the default per-language ones, unless the
      // agent also names instructions per language.
      instructions:
        a.instructions ?? (session.instructions !== undefined ? {} : DEFAULT_CALL_AGENT.instructions),
      toolWebhookUrl: a.tool_webhook_url ?? null,
    },
  };
}

/** The greeting for `language`: its own, its base language's (`es` for `es-MX`), else none. */
export function greetingFor(agent: CallAgent, language: string): string | undefined {
  return agent.greetings[language] ?? agent.greetings[baseLanguage(language)];
}

/** The instructions for `language`, as `greetingFor` chooses. */
export function instructionsFor(agent: CallAgent, language: string): string | undefined {
  return agent.instructions[language] ?? agent.instructions[baseLanguage(language)];
}

/** The languages the agent speaks: those it has a greeting or instructions for. */
export function agentLanguages(agent: CallAgent): string[] {
  return [...new Set([...Object.keys(agent.greetings), ...Object.keys(agent.instructions)])];
}

/**
 * The language to take a call in: the caller's when the agent speaks it, else the default
 * language when the agent speaks that, else the agent's first (an agent with no per-language
 * settings takes the caller's).
 */
export function callLanguage(agent: CallAgent, callerLanguage: string, defaultLanguage: string): string {
  const spoken = agentLanguages(agent);
  const speaks = (l: string) => spoken.includes(l) || spoken.includes(baseLanguage(l));
  if (spoken.length === 0 || speaks(callerLanguage)) return callerLanguage;
  if (speaks(defaultLanguage)) return defaultLanguage;
  return spoken[0]!;
}

function baseLanguage(language: string): string {
  return language.split('-')[0]!.toLowerCase();
}

/**
 * The agent's session with what a phone needs forced: μ-law at 8 kHz both ways (Twilio's format,
 * so nothing is resampled), audio output, server turn detection unless the agent chose its own,
 * and input transcription that detects the language when the agent speaks more than one.
 */
export function phoneSession(agent: CallAgent, language: string): RealtimeSessionUpdate {
  // The model is the call session's from its start (see the gateway), not something to update.
  const { model: _model, ...s } = agent.session;
  const transcription = s.audio?.input?.transcription ?? {
    language: agentLanguages(agent).length > 1 ? 'multi' : language,
  };
  return {
    ...s,
    type: 'realtime',
    output_modalities: ['audio'],
    audio: {
      ...s.audio,
      input: {
        ...s.audio?.input,
        format: { type: 'audio/pcmu' },
        transcription,
        turn_detection: s.audio?.input?.turn_detection ?? { type: 'server_vad' },
      },
      output: { ...s.audio?.output, format: { type: 'audio/pcmu' } },
    },
  };
}
