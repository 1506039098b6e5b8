/** Twilio message parsing, the caller's language, the call agent and the phone session. */
import { describe, expect, it } from 'vitest';
import { parseTwilioMessage } from '../../protocol/twilio/media-streams.js';
import { DEFAULT_CALL_AGENT, callLanguage, parseCallAgent } from '../../src/telephony/call-agent.js';
import { languageForCaller } from '../../src/telephony/caller-language.js';
import { phoneSession } from '../../src/telephony/call-agent.js';
import { loadConfig, ConfigError } from '../../src/config.js';

describe('parseTwilioMessage', () => {
  it('reads the documented messages', () => {
    const start = parseTwilioMessage(
      JSON.stringify({
        event: 'start',
        sequenceNumber: '1',
        streamSid: 'MZ1',
        start: {
          streamSid: 'MZ1',
          accountSid: 'AC1',
          callSid: 'CA1',
          tracks: ['inbound'],
          customParameters: { caller: '+1555' },
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      }),
    );
    expect(start).toMatchObject({ ok: true, message: { event: 'start', start: { callSid: 'CA1' } } });
    const media = parseTwilioMessage(
      '{"event":"media","sequenceNumber":"3","streamSid":"MZ1","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"/w=="}}',
    );
    expect(media.ok).toBe(true);
  });

  it('says why it skips a message, and never throws', () => {
    expect(parseTwilioMessage('{')).toEqual({ ok: false, reason: 'not JSON' });
    expect(parseTwilioMessage('null').ok).toBe(false);
    const numeric = parseTwilioMessage(
      '{"event":"media","sequenceNumber":3,"streamSid":"MZ1","media":{"payload":""}}',
    );
    expect(numeric).toMatchObject({ ok: false, reason: expect.stringContaining('sequenceNumber') });
    expect(parseTwilioMessage('{"event":"dtmf","streamSid":"MZ1","dtmf":{"digit":"12"}}').ok).toBe(false);
  });
});

describe('languageForCaller', () => {
  const map = [
    ['+521', 'es-MX'],
    ['+52', 'es'],
    ['+1', 'en'],
  ] as const;
  it('takes the longest matching prefix, else the default', () => {
    expect(languageForCaller('+52 55 1234 5678', map, 'en')).toBe('es');
    expect(languageForCaller('+5215512345678', map, 'en')).toBe('es-MX');
    expect(languageForCaller('+1 (415) 867-5310', map, 'es')).toBe('en');
    expect(languageForCaller('+447700900000', map, 'en')).toBe('en');
    expect(languageForCaller(undefined, map, 'fr')).toBe('fr');
  });
});

describe('call agent', () => {
  it('defaults to an English and a Spanish greeting and formal Spanish instructions', () => {
    expect(DEFAULT_CALL_AGENT.greetings).toEqual({
      en: 'Hello! How can I help you today?',
      es: '¡Hola! ¿En qué puedo ayudarle hoy?',
    });
    expect(DEFAULT_CALL_AGENT.instructions['es']).toContain('usted');
  });

  it('reads the session.update shape with the call fields, and refuses what is not', () => {
    const ok = parseCallAgent(
      JSON.stringify({
        session: { type: 'realtime', tools: [{ type: 'function', name: 'check_hours', parameters: {} }] },
        greetings: { en: 'Acme, hello!' },
        tool_webhook_url: 'https://tools.example.com/run',
      }),
      'test',
    );
    expect(ok).toMatchObject({
      ok: true,
      agent: {
        greetings: { en: 'Acme, hello!' },
        toolWebhookUrl: 'https://tools.example.com/run',
      },
    });
    expect(parseCallAgent('{"session":{"type":"realtime","voice_speed":2}}', 'test')).toMatchObject({
      ok: false,
    });
    expect(parseCallAgent('{"greeting":"hi"}', 'test')).toMatchObject({ ok: false });
  });

  it('is loaded from TWILIO_AGENT with a message that says what is wrong', () => {
    expect(() => loadConfig({ TWILIO_AGENT: '{"session":' })).toThrow(ConfigError);
    expect(() => loadConfig({ TWILIO_AGENT_FILE: '/nonexistent/agent.json' })).toThrow(/cannot read/);
    expect(() => loadConfig({ TWILIO_LANGUAGE_BY_PREFIX: '52=es' })).toThrow(/prefix like \+52/);
    const c = loadConfig({ TWILIO_AGENT: '{"instructions":{"en":"Be brief."}}', TWILIO_AUTH_TOKEN: 't' });
    expect(c.telephony.agent.instructions).toEqual({ en: 'Be brief.' });
    expect(c.telephony.languageByPrefix[0]).toEqual(['+52', 'es']);
  });

  it('forces μ-law both ways and language detection for a bilingual agent', () => {
    const s = phoneSession(
      {
        ...DEFAULT_CALL_AGENT,
        session: {
          type: 'realtime',
          audio: { output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'ash' } },
        },
      },
      'en',
    );
    expect(s.audio?.input?.format).toEqual({ type: 'audio/pcmu' });
    expect(s.audio?.output).toEqual({ format: { type: 'audio/pcmu' }, voice: 'ash' });
    expect(s.audio?.input?.transcription).toEqual({ language: 'multi' });
    const mono = phoneSession(
      { ...DEFAULT_CALL_AGENT, greetings: { es: 'Hola' }, instructions: { es: 'x' } },
      'es',
    );
    expect(mono.audio?.input?.transcription).toEqual({ language: 'es' });
  });
});

describe('an English-only call agent', () => {
  it('greets no one in Spanish, takes a +52 caller in English, and does not ask the STT to detect', () => {
    const parsed = parseCallAgent(
      JSON.stringify({
        session: { type: 'realtime', instructions: 'You are the Acme front desk.' },
        greetings: { en: 'Thanks for calling Acme!' },
      }),
      'TWILIO_AGENT',
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.agent.greetings).toEqual({ en: 'Thanks for calling Acme!' });
    expect(callLanguage(parsed.agent, 'es', 'en')).toBe('en');
    expect(phoneSession(parsed.agent, 'en').audio?.input?.transcription).toEqual({ language: 'en' });
  });

  it('is refused at start-up when a session would refuse its settings', () => {
    const agent = JSON.stringify({
      session: { type: 'realtime', tool_choice: { type: 'function', name: 'nope' } },
    });
    expect(() => loadConfig({ TWILIO_AGENT: agent })).toThrow(/the session is refused/);
    const named = JSON.stringify({ session: { type: 'realtime', model: 'gpt-realtime-mini' } });
    expect(loadConfig({ TWILIO_AGENT: named }).telephony.agent.session.model).toBe('gpt-realtime-mini');
  });
});
