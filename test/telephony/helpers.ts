/** A gateway with the Twilio endpoints on, and Twilio emulated by the real `twilio` package's signer. */
import twilio from 'twilio';
import type { ServerEvent } from '../../protocol/realtime/index.js';
import { encodeMulaw, decodeMulaw } from '../../src/audio/g711.js';
import { TwilioPeer } from '../../src/emulators/twilio/peer.js';
import { loadSpeech } from '../fixtures/speech/index.js';
import type { SpeechFixtureName } from '../fixtures/speech/index.js';
import { startProviderGateway } from '../helpers/gateway.js';
import type { ProviderGateway } from '../helpers/gateway.js';

export const AUTH_TOKEN = 'test-twilio-auth-token';

/** The real signer: what Twilio computes (twilio 6.2.0 `getExpectedTwilioSignature`). */
export const sign = (token: string, url: string, params: Record<string, string>): string =>
  twilio.getExpectedTwilioSignature(token, url, params);

/** A server event and when the gateway sent it (performance.now()). */
export interface Seen {
  at: number;
  sessionId: string;
  event: ServerEvent;
}

/** A gateway for calls, with every server event of every session recorded. */
export interface CallGateway {
  gw: ProviderGateway;
  baseUrl: string;
  seen: Seen[];
  languages: (string | undefined)[];
  call(from: string): Promise<TwilioPeer>;
  /** The events of the session a call runs on (the one created after `since`). */
  eventsOf(peer: TwilioPeer): Seen[];
  close(): Promise<void>;
}

/** Starts a provider gateway (emulators, Silero, real adapters) with Twilio on. */
export async function startCallGateway(
  sttScript: string[],
  env: Record<string, string> = {},
): Promise<CallGateway> {
  const seen: Seen[] = [];
  const languages: (string | undefined)[] = [];
  const bySid = new Map<TwilioPeer, string>();
  const gw = await startProviderGateway({
    env: { TWILIO_AUTH_TOKEN: AUTH_TOKEN, ...env },
    sttScript,
    observer: (sessionId, event) => seen.push({ at: performance.now(), sessionId, event }),
    onResolveVoice: (_voice, language) => languages.push(language),
  });
  const baseUrl = gw.url.replace(/^ws/, 'http').replace(/\/v1\/realtime$/, '');
  return {
    gw,
    baseUrl,
    seen,
    languages,
    async call(from) {
      const before = new Set(seen.map((s) => s.sessionId));
      const peer = await TwilioPeer.call({ baseUrl, authToken: AUTH_TOKEN, sign, from });
      const created = seen.find((s) => s.event.type === 'session.created' && !before.has(s.sessionId));
      if (created) bySid.set(peer, created.sessionId);
      return peer;
    },
    eventsOf(peer) {
      const id = bySid.get(peer);
      return seen.filter((s) => s.sessionId === id);
    },
    close: () => gw.close(),
  };
}

/** A fixture as the caller's μ-law, followed by `silenceMs` of silence. */
export function callerAudio(name: SpeechFixtureName, silenceMs = 1_200): Uint8Array {
  const speech = encodeMulaw(loadSpeech(name, 8_000));
  const silence = encodeMulaw(new Int16Array(silenceMs * 8));
  return Buffer.concat([speech, silence]);
}

/** Root mean square of μ-law audio, in PCM16 units. */
export function rms(mulaw: Uint8Array): number {
  const pcm = decodeMulaw(mulaw);
  let sum = 0;
  for (const s of pcm) sum += s * s;
  return Math.sqrt(sum / Math.max(1, pcm.length));
}

/** The types of a call's events, in order. */
export function typesOf(seen: Seen[]): string[] {
  return seen.map((s) => s.event.type);
}
