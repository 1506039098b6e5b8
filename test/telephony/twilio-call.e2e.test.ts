/**
 * A phone call end to end: the emulated Twilio rings the voice webhook, opens the Media Stream it
 * is told to, and talks in μ-law at 8 kHz to the gateway, which runs Silero, the Deepgram, LLM and
 * Cartesia adapters against their emulators. Signatures are made by the real `twilio` package.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TwilioPeer } from '../../src/emulators/twilio/peer.js';
import { streamToken } from '../../src/telephony/signature.js';
import { AUTH_TOKEN, callerAudio, rms, sign, startCallGateway, typesOf } from './helpers.js';
import type { CallGateway } from './helpers.js';

const GREETING = 'Hello! How can I help you today?';
let g: CallGateway;

beforeAll(async () => {
  g = await startCallGateway(Array(12).fill('what time do you open tomorrow'));
}, 30_000);
afterAll(() => g.close());

/** The LLM requests the Groq emulator has seen. */
function lastLlmRequest() {
  const groq = g.gw.providers.emulators!.groq as unknown as {
    lastRequest: { instructions: string; messages: { role: string; content: string }[] } | null;
  };
  return groq.lastRequest;
}

const doneTranscripts = (peer: TwilioPeer) =>
  g
    .eventsOf(peer)
    .flatMap((s) => (s.event.type === 'response.output_audio_transcript.done' ? [s.event.transcript] : []));

describe('a call', () => {
  it('is answered with TwiML that connects a stream, greets the caller, and answers an utterance', async () => {
    const peer = await TwilioPeer.call({
      baseUrl: g.baseUrl,
      authToken: AUTH_TOKEN,
      sign,
      from: '+15557654321',
    });
    expect(peer.twiml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?><Response><Connect><Stream url="ws:\/\/127\.0\.0\.1:\d+\/twilio\/stream">/,
    );
    expect(peer.parameters).toEqual({
      caller: '+15557654321',
      language: 'en',
      token: streamToken(AUTH_TOKEN, peer.callSid),
    });
    // The greeting: about two seconds of speech (the emulated TTS speaks with espeak-ng).
    await peer.until(() => peer.receivedAudio().length >= 8_000, 10_000, 'a second of greeting');
    const greeting = peer.receivedAudio();
    expect(rms(greeting)).toBeGreaterThan(500);
    // Frames are 20 ms, and marks follow the audio.
    const frames = peer.events.filter((e) => e.kind === 'media');
    expect(frames.slice(0, -1).every((e) => e.kind === 'media' && e.bytes.length === 160)).toBe(true);
    expect(peer.events.some((e) => e.kind === 'mark')).toBe(true);
    await peer.until(() => peer.echoed.length > 0, 5_000, 'a mark to play out');

    await peer.hangUp();
  }, 30_000);

  it('answers what the caller says in the same call, after the greeting', async () => {
    const peer = await g.call('+15557654321');
    const events = () => g.eventsOf(peer);
    await peer.until(() => doneTranscripts(peer).length === 1, 10_000, 'the greeting');
    expect(doneTranscripts(peer)).toEqual([GREETING]);
    const before = peer.receivedAudio().length;
    const spoke = performance.now();
    await peer.speak(callerAudio('en-hello'));
    await peer.until(() => doneTranscripts(peer).length === 2, 10_000, 'the answer');
    expect(doneTranscripts(peer)[1]).toBe('You said: what time do you open tomorrow.');
    await peer.until(() => peer.receivedAudio().length > before + 4_000, 10_000, 'the answer audio');
    expect(rms(peer.receivedAudio(spoke))).toBeGreaterThan(500);
    const types = typesOf(events());
    expect(types.indexOf('input_audio_buffer.speech_started')).toBeLessThan(
      types.indexOf('input_audio_buffer.speech_stopped'),
    );
    // The session runs in μ-law both ways: nothing is resampled for the phone.
    const updated = events().find((s) => s.event.type === 'session.updated')!.event;
    expect(updated).toMatchObject({
      session: {
        audio: { input: { format: { type: 'audio/pcmu' } }, output: { format: { type: 'audio/pcmu' } } },
      },
    });
    expect(lastLlmRequest()!.instructions).toContain('phone call');
    await peer.hangUp();
  }, 30_000);

  it('clears playback when the caller talks over the agent, and truncates the item at what was heard', async () => {
    const peer = await g.call('+15557654321');
    await peer.until(() => peer.receivedAudio().length >= 1_600, 10_000, 'the greeting to start');
    // The greeting plays for about two seconds; the caller talks over it at once.
    await peer.speak(callerAudio('en-weather', 300));
    await peer.until(() => peer.events.some((e) => e.kind === 'clear'), 10_000, 'a clear');
    const clear = peer.events.find((e) => e.kind === 'clear')!;
    const started = g.eventsOf(peer).find((s) => s.event.type === 'input_audio_buffer.speech_started')!;
    // From the VAD's decision to Twilio being told to drop its queue.
    expect(clear.at - started.at).toBeLessThan(50);
    expect(clear.at).toBeGreaterThanOrEqual(started.at);
    await peer.until(
      () => g.eventsOf(peer).some((s) => s.event.type === 'conversation.item.truncated'),
      5_000,
      'the truncation',
    );
    const truncated = g.eventsOf(peer).find((s) => s.event.type === 'conversation.item.truncated')!.event as {
      audio_end_ms: number;
      item_id: string;
    };
    const greetingItem = g.eventsOf(peer).find((s) => s.event.type === 'response.output_item.added')!
      .event as {
      item: { id: string };
    };
    expect(truncated.item_id).toBe(greetingItem.item.id);
    const greetingMs = peer.receivedAudio().length / 8;
    expect(truncated.audio_end_ms).toBeGreaterThan(0);
    expect(truncated.audio_end_ms).toBeLessThan(greetingMs);
    // The caller's words are then answered.
    await peer.until(() => doneTranscripts(peer).length >= 2, 10_000, 'the answer');
    await peer.hangUp();
  }, 30_000);

  it('gives keypad digits to the model as the caller’s input', async () => {
    const peer = await g.call('+15557654321');
    await peer.until(() => doneTranscripts(peer).length === 1, 10_000, 'the greeting');
    for (const d of ['4', '2', '#']) peer.pressKey(d);
    await peer.until(() => doneTranscripts(peer).length === 2, 10_000, 'the answer to the digits');
    const last = lastLlmRequest()!.messages.at(-1)!;
    expect(last.role).toBe('user');
    expect(last.content).toContain('keypad: 42#');
    await peer.hangUp();
  }, 30_000);

  it('skips malformed and out-of-order messages without dropping the call', async () => {
    const peer = await g.call('+15557654321');
    await peer.until(() => doneTranscripts(peer).length === 1, 10_000, 'the greeting');
    peer.sendRaw('not json');
    peer.sendRaw(JSON.stringify({ event: 'media', streamSid: peer.streamSid }));
    peer.sendRaw(JSON.stringify({ event: 'wat', streamSid: peer.streamSid }));
    peer.sendRaw(
      JSON.stringify({
        event: 'media',
        streamSid: 'MZother',
        media: { payload: Buffer.alloc(160).toString('base64') },
      }),
    );
    peer.sendRaw(JSON.stringify({ event: 'dtmf', streamSid: peer.streamSid, dtmf: { digit: 'xx' } }));
    await peer.speak(callerAudio('en-hello'));
    await peer.until(() => doneTranscripts(peer).length === 2, 10_000, 'the answer');
    expect(peer.isClosed).toBe(false);
    await peer.hangUp();
  }, 30_000);

  it('leaves no call, session or socket behind after stop', async () => {
    const resources = () => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    // Settle what earlier calls left closing, then take the baseline.
    await new Promise((r) => setTimeout(r, 300));
    const baseline = resources();
    const peer = await g.call('+15557654321');
    await peer.until(() => doneTranscripts(peer).length === 1, 10_000, 'the greeting');
    expect(g.gw.gateway.callCount).toBe(1);
    await peer.hangUp();
    expect(g.gw.gateway.callCount).toBe(0);
    const deadline = performance.now() + 5_000;
    while (resources() > baseline && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(resources()).toBeLessThanOrEqual(baseline);
    // No event after the end.
    const count = g.eventsOf(peer).length;
    await new Promise((r) => setTimeout(r, 200));
    expect(g.eventsOf(peer).length).toBe(count);
  }, 30_000);
});

describe('signatures', () => {
  const form = { CallSid: 'CA123', From: '+15557654321' };
  const post = (signature: string, body = form) =>
    fetch(`${g.baseUrl}/twilio/voice`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams(body).toString(),
    });

  it('refuses a webhook with a bad or missing signature, or a tampered parameter', async () => {
    expect((await post('bm90IGEgc2lnbmF0dXJl')).status).toBe(403);
    expect((await post('')).status).toBe(403);
    const good = sign(AUTH_TOKEN, `${g.baseUrl}/twilio/voice`, form);
    expect((await post(good, { ...form, From: '+15550000000' })).status).toBe(403);
    expect(g.gw.gateway.callCount).toBe(0);
    const ok = await post(good);
    expect(ok.status).toBe(200);
    // The prepared call ends when its stream never comes; end it now through the gateway's close path.
    expect(g.gw.gateway.callCount).toBe(1);
  });

  it('refuses a stream upgrade with a bad signature', async () => {
    const url = `${g.baseUrl.replace(/^http/, 'ws')}/twilio/stream`;
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { headers: { 'x-twilio-signature': sign('wrong-token', url, {}) } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(403);
  });

  it('accepts the stream upgrade signed over the URL with the default port too', async () => {
    // Twilio may sign wss://host:443/...; the gateway checks both spellings. Here: the plain form.
    const url = `${g.baseUrl.replace(/^http/, 'ws')}/twilio/stream`;
    const ws = new WebSocket(url, { headers: { 'x-twilio-signature': sign(AUTH_TOKEN, url, {}) } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    // Media before start is skipped; the socket stays open.
    ws.send(JSON.stringify({ event: 'media', streamSid: 'MZ1', media: { payload: '' } }));
    await new Promise((r) => setTimeout(r, 50));
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });
});
