/**
 * Twilio Media Streams on the wire (bidirectional `<Connect><Stream>`): the messages Twilio sends
 * and the ones a server may send back. Shapes from Twilio's "WebSocket messages" reference
 * (twilio.com/docs/voice/media-streams/websocket-messages); counters arrive as strings.
 */
import { z } from 'zod';

/** A decimal counter Twilio sends as a string (`sequenceNumber`, `chunk`, `timestamp`). */
const counter = z.string().regex(/^\d{1,15}$/);
const sid = z.string().min(1).max(64);

/** `connected`: the first message on a new stream. */
export const TwilioConnected = z.object({
  event: z.literal('connected'),
  protocol: z.string().optional(),
  version: z.string().optional(),
});

/** `start`: the stream's metadata, custom `<Parameter>`s included. */
export const TwilioStart = z.object({
  event: z.literal('start'),
  sequenceNumber: counter.optional(),
  streamSid: sid,
  start: z.object({
    streamSid: sid,
    accountSid: sid,
    callSid: sid,
    tracks: z.array(z.string()).optional(),
    customParameters: z.record(z.string(), z.string()).optional(),
    mediaFormat: z.object({
      encoding: z.string(),
      sampleRate: z.number().int().positive(),
      channels: z.number().int().positive(),
    }),
  }),
});

/** `media`: 20 ms of caller audio, base64 μ-law at 8 kHz with no header. */
export const TwilioMedia = z.object({
  event: z.literal('media'),
  sequenceNumber: counter.optional(),
  streamSid: sid,
  media: z.object({
    track: z.string().optional(),
    chunk: counter.optional(),
    timestamp: counter.optional(),
    payload: z.string(),
  }),
});

/** `dtmf`: one keypad digit pressed by the caller. */
export const TwilioDtmf = z.object({
  event: z.literal('dtmf'),
  sequenceNumber: counter.optional(),
  streamSid: sid,
  dtmf: z.object({ track: z.string().optional(), digit: z.string().regex(/^[0-9*#A-Da-d]$/) }),
});

/** `mark`: Twilio echoing a mark once the audio queued before it has played (or was cleared). */
export const TwilioMark = z.object({
  event: z.literal('mark'),
  sequenceNumber: counter.optional(),
  streamSid: sid,
  mark: z.object({ name: z.string().max(256) }),
});

/** `stop`: the stream ended (hang-up or the TwiML moved on). */
export const TwilioStop = z.object({
  event: z.literal('stop'),
  sequenceNumber: counter.optional(),
  streamSid: sid,
  stop: z.object({ accountSid: sid.optional(), callSid: sid.optional() }).optional(),
});

/** Every message Twilio sends on a bidirectional stream. */
export const TwilioInbound = z.discriminatedUnion('event', [
  TwilioConnected,
  TwilioStart,
  TwilioMedia,
  TwilioDtmf,
  TwilioMark,
  TwilioStop,
]);
export type TwilioInbound = z.infer<typeof TwilioInbound>;
export type TwilioInboundOf<E extends TwilioInbound['event']> = Extract<TwilioInbound, { event: E }>;

/** What a server sends back: audio to play, a mark to be told about, or `clear` to drop queued audio. */
export type TwilioOutbound =
  | { event: 'media'; streamSid: string; media: { payload: string } }
  | { event: 'mark'; streamSid: string; mark: { name: string } }
  | { event: 'clear'; streamSid: string };

/** The outcome of reading one frame: a message, or why it was skipped. */
export type TwilioParseResult = { ok: true; message: TwilioInbound } | { ok: false; reason: string };

/** Parses one text frame from Twilio; never throws. */
export function parseTwilioMessage(text: string): TwilioParseResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const parsed = TwilioInbound.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const event = (json as { event?: unknown } | null)?.event;
  const issue = parsed.error.issues[0];
  return {
    ok: false,
    reason: `${typeof event === 'string' ? event : 'message'}: ${issue ? `${issue.path.join('.') || 'event'} ${issue.message}` : 'invalid'}`,
  };
}
