/**
 * Whether a `response.create` (or a turn server VAD detected) may start a response, and with
 * which context. The checks run in the order OpenAI reports them, and nothing is sent or started
 * here: the session turns a refusal into an `error` event and an admission into a response.
 */
import type {
  ErrorCode,
  RealtimeSessionObject,
  ResponseParams,
  SessionObject,
} from '../../protocol/realtime/index.js';
import type { Conversation, Entry } from './conversation.js';
import { entryFromClientItem } from './item-input.js';
import { checkTools } from './session-config.js';

/** What the checks read from the session. */
export interface AdmissionState {
  session: SessionObject;
  conversation: Conversation;
  /** The id of the response running in the default conversation, if one is. */
  activeInConversation: string | undefined;
  /** Responses running now, in and out of the conversation. */
  activeCount: number;
  maxConcurrentResponses: number;
}

/** A response allowed to start. */
export interface Admitted {
  ok: true;
  session: RealtimeSessionObject;
  /** `conversation: "none"`: the response neither reads nor writes the default conversation. */
  outOfBand: boolean;
  /**
   * The response's context: a snapshot of the conversation (items created while the response
   * waits for transcripts are not part of it), or the entries of `response.input`.
   */
  context: readonly Entry[];
  /**
   * The items of `response.input` made here (not references), with their decoded audio: user
   * audio goes to the STT, or its given transcript is taken, once the response is admitted.
   */
  clientItems: { entry: Entry; audio: Uint8Array | null }[];
}

/** Why a response may not start. */
export interface Refused {
  ok: false;
  code: ErrorCode;
  param: string | null;
  /** The error's message; the protocol's default for the code when absent. */
  message?: string;
}

/** Checks a response's parameters against the session and builds its context. */
export function admitResponse(params: ResponseParams, state: AdmissionState): Admitted | Refused {
  const { session, conversation } = state;
  if (session.type !== 'realtime') {
    return refuse('invalid_request', 'type', 'response.create is not available in a transcription session.');
  }
  const outOfBand = params.conversation === 'none';
  const current = state.activeInConversation;
  if (!outOfBand && current !== undefined) {
    return refuse(
      'conversation_already_has_active_response',
      null,
      `Conversation already has an active response in progress: ${current}. Wait until the response is finished before creating a new one.`,
    );
  }
  const toolError = checkTools(
    params.tools ?? session.tools,
    params.tool_choice ?? session.tool_choice,
    'response',
  );
  if (toolError) return refuse(toolError.code, toolError.param, toolError.message);
  if (!outOfBand && !conversation.hasRoom()) return refuse('conversation_item_limit_reached', null);
  if (state.activeCount >= state.maxConcurrentResponses) {
    return refuse(
      'too_many_active_responses',
      null,
      `This session already runs ${state.activeCount} responses, the most it may run at once.`,
    );
  }
  if (!params.input)
    return { ok: true, session, outOfBand, context: [...conversation.entries()], clientItems: [] };
  const context: Entry[] = [];
  const clientItems: Admitted['clientItems'] = [];
  for (const [i, item] of params.input.entries()) {
    if (item.type === 'item_reference') {
      const ref = conversation.get(item.id);
      if (!ref)
        return refuse('item_not_found', `response.input[${i}].id`, `Item with id '${item.id}' not found.`);
      context.push(ref);
      continue;
    }
    const made = entryFromClientItem(item, session.audio.input.format, `response.input[${i}]`);
    if (!made.ok) return refuse(made.error.code, made.error.param, made.error.message);
    context.push(made.entry);
    clientItems.push({ entry: made.entry, audio: made.audio });
  }
  return { ok: true, session, outOfBand, context, clientItems };
}

function refuse(code: ErrorCode, param: string | null, message?: string): Refused {
  return { ok: false, code, param, message };
}
