/**
 * Runs a phone call's tool calls: a call has no client to run them, so each is POSTed to the
 * operator's webhook and the answer body becomes the function call's output.
 */

/** A tool call made on a phone call. */
export interface PhoneToolCall {
  callSid: string;
  caller: string;
  callId: string;
  name: string;
  /** JSON text, as the model wrote it. */
  arguments: string;
}

/** How long a tool webhook may take: longer would leave the caller in silence. */
export const TOOL_WEBHOOK_TIMEOUT_MS = 10_000;
/** The most of a webhook's answer passed on to the model. */
const MAX_TOOL_OUTPUT_BYTES = 64 * 1024;

/**
 * The tool's output: the webhook's answer body, or a JSON error the model can explain to the
 * caller (no webhook, a refusal, a timeout). Never throws.
 */
export async function runPhoneTool(
  url: string | null,
  call: PhoneToolCall,
  signal: AbortSignal,
): Promise<string> {
  if (!url) {
    return JSON.stringify({
      error: `The tool '${call.name}' cannot run: no tool webhook is configured for phone calls (TWILIO_TOOL_WEBHOOK_URL).`,
    });
  }
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        call_sid: call.callSid,
        caller: call.caller,
        call_id: call.callId,
        name: call.name,
        arguments: call.arguments,
      }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(TOOL_WEBHOOK_TIMEOUT_MS)]),
    });
    if (!res.ok) {
      await res.body?.cancel();
      return JSON.stringify({ error: `The tool '${call.name}' failed (HTTP ${res.status}).` });
    }
    return await readCapped(res, MAX_TOOL_OUTPUT_BYTES);
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    return JSON.stringify({
      error: timedOut
        ? `The tool '${call.name}' did not answer within ${TOOL_WEBHOOK_TIMEOUT_MS / 1000} seconds.`
        : `The tool '${call.name}' could not be reached.`,
    });
  }
}

/** The body's first `limit` bytes as text: the rest is not read (a runaway answer stays on the wire). */
async function readCapped(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= limit) {
      await reader.cancel();
      break;
    }
  }
  // Cut on bytes; a character split at the cut decodes as U+FFFD rather than failing.
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}
