/**
 * The error-code registry: every `error.code` this gateway sends, with its Realtime `error.type`,
 * default message, whether retrying the same event can succeed, and what it means. The README's
 * error table is checked against this list by a test, so a code cannot go undocumented.
 */

/** Realtime `error.type` values. */
export type ErrorType =
  'invalid_request_error' | 'server_error' | 'authentication_error' | 'rate_limit_error';

/** One registry entry. */
export interface ErrorCodeSpec {
  type: ErrorType;
  /** Default message; handlers usually pass a more specific one. */
  message: string;
  /** Whether sending the same event again later can succeed. */
  retryable: boolean;
  /** What triggers it, for the README. */
  doc: string;
}

/** Every error code the gateway emits. Names match OpenAI's where OpenAI has one. */
export const ERROR_CODES = {
  invalid_json: {
    type: 'invalid_request_error',
    message: 'The event could not be parsed as JSON.',
    retryable: false,
    doc: 'A text frame that is not valid JSON.',
  },
  invalid_event: {
    type: 'invalid_request_error',
    message: 'The event is not a valid Realtime client event.',
    retryable: false,
    doc: "JSON that is not an object, or an object without a string 'type'.",
  },
  binary_frame_not_supported: {
    type: 'invalid_request_error',
    message: 'Binary frames are not supported: send JSON text frames with base64 audio.',
    retryable: false,
    doc: 'A binary WebSocket frame. Audio travels base64-encoded inside JSON.',
  },
  invalid_value: {
    type: 'invalid_request_error',
    message: 'Invalid value.',
    retryable: false,
    doc: 'An unknown event `type`, or a value outside its enum (`param` names the field).',
  },
  invalid_type: {
    type: 'invalid_request_error',
    message: 'Invalid type.',
    retryable: false,
    doc: 'A field of the wrong JSON type (`param` names the field).',
  },
  unknown_parameter: {
    type: 'invalid_request_error',
    message: 'Unknown parameter.',
    retryable: false,
    doc: 'A field this event does not have, e.g. beta `session.modalities` on a GA connection.',
  },
  missing_required_parameter: {
    type: 'invalid_request_error',
    message: 'Missing required parameter.',
    retryable: false,
    doc: 'A required field is absent, e.g. `session.type` in a GA `session.update`.',
  },
  integer_below_min_value: {
    type: 'invalid_request_error',
    message: 'Integer below minimum value.',
    retryable: false,
    doc: 'An integer under its minimum, e.g. `audio.input.format.rate` 16000.',
  },
  integer_above_max_value: {
    type: 'invalid_request_error',
    message: 'Integer above maximum value.',
    retryable: false,
    doc: 'An integer over its maximum, e.g. `max_output_tokens` 5000.',
  },
  decimal_below_min_value: {
    type: 'invalid_request_error',
    message: 'Decimal below minimum value.',
    retryable: false,
    doc: 'A number under its minimum, e.g. `audio.output.speed` 0.1.',
  },
  decimal_above_max_value: {
    type: 'invalid_request_error',
    message: 'Decimal above maximum value.',
    retryable: false,
    doc: 'A number over its maximum, e.g. `turn_detection.threshold` 2.',
  },
  string_above_max_length: {
    type: 'invalid_request_error',
    message: 'String too long.',
    retryable: false,
    doc: 'A string over its maximum length, e.g. an item id over 256 characters.',
  },
  array_above_max_length: {
    type: 'invalid_request_error',
    message: 'Array too long.',
    retryable: false,
    doc: 'An array over its maximum length, e.g. two `output_modalities` on GA.',
  },
  array_below_min_length: {
    type: 'invalid_request_error',
    message: 'Array too short.',
    retryable: false,
    doc: 'An empty array where one element is required, e.g. `output_modalities: []`.',
  },
  message_too_large: {
    type: 'invalid_request_error',
    message: 'The event exceeds the maximum message size.',
    retryable: false,
    doc: 'A frame larger than `MAX_MESSAGE_BYTES`: dropped unread and answered with this error (no `event_id`: it was not parsed). Past twice the limit the socket closes with 1009.',
  },
  invalid_audio: {
    type: 'invalid_request_error',
    message: 'The audio is not valid base64.',
    retryable: false,
    doc: '`input_audio_buffer.append.audio` (or `input_audio` content) that is not standard base64.',
  },
  invalid_audio_length: {
    type: 'invalid_request_error',
    message: 'The audio does not hold a whole number of samples.',
    retryable: false,
    doc: 'PCM16 audio with an odd number of bytes.',
  },
  input_audio_buffer_full: {
    type: 'invalid_request_error',
    message: 'The input audio buffer is full.',
    retryable: true,
    doc: 'An append that would take the uncommitted input audio over `MAX_INPUT_AUDIO_BUFFER_MS`. Commit or clear first.',
  },
  input_audio_buffer_commit_empty: {
    type: 'invalid_request_error',
    message: 'Error committing input audio buffer: buffer too small.',
    retryable: false,
    doc: '`input_audio_buffer.commit` with less than 100 ms of audio buffered.',
  },
  conversation_already_has_active_response: {
    type: 'invalid_request_error',
    message: 'Conversation already has an active response in progress.',
    retryable: true,
    doc: '`response.create` for the default conversation while a response is active there.',
  },
  too_many_active_responses: {
    type: 'invalid_request_error',
    message: 'This session runs as many responses as it may at once.',
    retryable: true,
    doc: '`response.create` while `MAX_CONCURRENT_RESPONSES` responses (out-of-band ones included) are running.',
  },
  response_cancel_not_active: {
    type: 'invalid_request_error',
    message: 'Cancellation failed: no active response found.',
    retryable: false,
    doc: '`response.cancel` with no active response (or with a `response_id` that is not active).',
  },
  item_not_found: {
    type: 'invalid_request_error',
    message: 'Item not found.',
    retryable: false,
    doc: 'An `item_id`, `previous_item_id` or `item_reference` that names no item of the conversation.',
  },
  duplicate_item_id: {
    type: 'invalid_request_error',
    message: 'An item with this id already exists.',
    retryable: false,
    doc: '`conversation.item.create` with an `item.id` already in the conversation.',
  },
  conversation_item_limit_reached: {
    type: 'invalid_request_error',
    message: 'The conversation holds the maximum number of items.',
    retryable: true,
    doc: 'A new item beyond `MAX_CONVERSATION_ITEMS`. Delete items first.',
  },
  unsupported_content_type: {
    type: 'invalid_request_error',
    message: 'This content type is not supported here.',
    retryable: false,
    doc: 'Truncating an item with no audio; creating an assistant audio part; `input_image` (the configured LLM has no vision).',
  },
  invalid_content_index: {
    type: 'invalid_request_error',
    message: 'No content part at this index.',
    retryable: false,
    doc: '`conversation.item.truncate.content_index` that names no audio part.',
  },
  audio_end_ms_out_of_range: {
    type: 'invalid_request_error',
    message: 'audio_end_ms is beyond the audio of this item.',
    retryable: false,
    doc: '`conversation.item.truncate.audio_end_ms` greater than the audio the item holds.',
  },
  invalid_call_id: {
    type: 'invalid_request_error',
    message: 'No function call with this call_id exists.',
    retryable: false,
    doc: 'A `function_call_output` whose `call_id` matches no `function_call` item.',
  },
  invalid_tool_choice: {
    type: 'invalid_request_error',
    message: 'tool_choice names a tool that is not defined.',
    retryable: false,
    doc: '`tool_choice: {type:"function", name}` for a name not among the tools.',
  },
  unsupported_tool_type: {
    type: 'invalid_request_error',
    message: 'Only function tools are supported by this gateway.',
    retryable: false,
    doc: 'MCP tools (`type: "mcp"`) or an MCP `tool_choice`.',
  },
  cannot_update_model: {
    type: 'invalid_request_error',
    message: 'The model of a session cannot be changed.',
    retryable: false,
    doc: '`session.update` with a `model` other than the one the session started with.',
  },
  cannot_update_voice: {
    type: 'invalid_request_error',
    message: 'The voice cannot be changed after the model has produced audio.',
    retryable: false,
    doc: '`session.update` changing `audio.output.voice` once any audio has been sent.',
  },
  cannot_change_session_type: {
    type: 'invalid_request_error',
    message: 'A session cannot change between realtime and transcription.',
    retryable: false,
    doc: '`session.update` whose `session.type` differs from the session (set by `intent=transcription`).',
  },
  turn_detection_unavailable: {
    type: 'invalid_request_error',
    message:
      'Server-side turn detection is not available: set session.audio.input.turn_detection to null and commit the input audio buffer yourself.',
    retryable: false,
    doc: 'Sent once, on the first append while `turn_detection` is set, by a gateway assembled without a VAD stage. The audio is still buffered.',
  },
  invalid_request: {
    type: 'invalid_request_error',
    message: 'This event is not valid in this session.',
    retryable: false,
    doc: '`response.create` in a transcription session.',
  },
  unsupported_event: {
    type: 'invalid_request_error',
    message: 'This event is not supported on this connection.',
    retryable: false,
    doc: '`output_audio_buffer.clear` (WebRTC/SIP only: over WebSocket the client owns playback) and translation-session events.',
  },
  session_expired: {
    type: 'invalid_request_error',
    message: 'Your session hit the maximum duration.',
    retryable: false,
    doc: 'The session reached `MAX_SESSION_DURATION_MS`, or had no client event and no active response for `SESSION_IDLE_TIMEOUT_MS`; the socket then closes with 1001.',
  },
  session_limit_reached: {
    type: 'rate_limit_error',
    message: 'This server holds as many sessions as it may.',
    retryable: true,
    doc: 'A connection beyond `MAX_SESSIONS` (per process) or `MAX_SESSIONS_PER_KEY` (per API key): the upgrade succeeds, this error is the only event (no `session.created`), then the socket closes with 1013 (try again later).',
  },
  server_draining: {
    type: 'server_error',
    message: 'This server is shutting down and accepts no new sessions.',
    retryable: true,
    doc: 'Handshake refused with HTTP 503 (and `Retry-After`) while the gateway drains for shutdown; connect again (another instance behind the load balancer answers).',
  },
  too_many_pending_events: {
    type: 'invalid_request_error',
    message: 'Too many events arrived before the session started.',
    retryable: false,
    doc: 'More than `MAX_PENDING_EVENTS` client events queued before `session.created`; the extra events are refused.',
  },
  invalid_api_key: {
    type: 'authentication_error',
    message: 'Incorrect API key provided.',
    retryable: false,
    doc: 'Handshake refused with HTTP 401: no key, or a key not in `GATEWAY_API_KEYS`. Also `GET /metrics` without a gateway key when `METRICS=auto` and keys are configured.',
  },
  origin_not_allowed: {
    type: 'invalid_request_error',
    message: 'This origin is not allowed.',
    retryable: false,
    doc: 'Handshake refused with HTTP 403: a browser `Origin` not in `GATEWAY_ALLOWED_ORIGINS`; with that list empty and no `GATEWAY_API_KEYS`, any non-loopback origin.',
  },
  not_found: {
    type: 'invalid_request_error',
    message: 'Not found.',
    retryable: false,
    doc: 'HTTP 404: a path other than `/v1/realtime`, `/healthz`, `/readyz`, `/metrics` (`/metrics` too when `METRICS=off`).',
  },
  invalid_handshake: {
    type: 'invalid_request_error',
    message: 'The WebSocket handshake is not valid.',
    retryable: false,
    doc: 'Handshake refused with HTTP 400: a plain GET without upgrade, `call_id` (WebRTC/SIP only), both `model` and `intent`, or an unknown `intent`.',
  },
  server_error: {
    type: 'server_error',
    message: 'The server had an error while processing your request.',
    retryable: true,
    doc: 'An internal failure. The session keeps working; the failure is logged.',
  },
  context_length_exceeded: {
    type: 'invalid_request_error',
    message: "The conversation does not fit the model's input limit.",
    retryable: false,
    doc: 'A response whose conversation, after the instructions and tools, does not fit `LLM_CONTEXT_TOKENS` less the answer\'s reserve, with session `truncation: "disabled"`; or, whatever the setting, when even the newest item does not fit or the instructions and tools take the whole context. Sent as `response.done` `status: "failed"` `status_details.error`. Delete items, let `truncation` drop the oldest ones, or shorten the instructions.',
  },
  provider_error: {
    type: 'server_error',
    message: 'A provider failed while generating the response.',
    retryable: true,
    doc: 'An LLM or TTS stage failed; sent as `response.done` `status: "failed"` `status_details.error`.',
  },
} as const satisfies Record<string, ErrorCodeSpec>;

/** A registered error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The `error` object of a Realtime `error` event. */
export interface RealtimeErrorBody {
  type: ErrorType;
  code: ErrorCode;
  message: string;
  param: string | null;
  event_id: string | null;
}

/** Builds the `error` object for a code, with an optional specific message and param. */
export function errorBody(
  code: ErrorCode,
  opts: { message?: string; param?: string | null; eventId?: string | null } = {},
): RealtimeErrorBody {
  const spec: ErrorCodeSpec = ERROR_CODES[code];
  return {
    type: spec.type,
    code,
    message: opts.message ?? spec.message,
    param: opts.param ?? null,
    event_id: opts.eventId ?? null,
  };
}
