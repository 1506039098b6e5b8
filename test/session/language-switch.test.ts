/** A bilingual session answers in the language the STT detected in the user's latest audio. */
import { describe, expect, it } from 'vitest';
import type { TtsOptions, TtsStage } from '../../src/providers/types.js';
import { loadConfig } from '../../src/config.js';
import { assembleProviders } from '../../src/main.js';
import { SILENT_LOGGER } from '../../src/util/log.js';
import { Harness, pcmSilence } from '../helpers/session-harness.js';

const CLOUD = {
  DEEPGRAM_API_KEY: 'd',
  CARTESIA_API_KEY: 'c',
  GROQ_API_KEY: 'g',
  CARTESIA_VOICE: 'default-voice',
};

/** The options of every synthesis the harness's TTS is asked for, in order. */
function ttsOptions(h: Harness): TtsOptions[] {
  const seen: TtsOptions[] = [];
  const tts = h.tts as unknown as TtsStage;
  const original = tts.synthesize.bind(tts);
  tts.synthesize = (text, opts, signal) => {
    seen.push(opts);
    return original(text, opts, signal);
  };
  return seen;
}

describe('language switching', () => {
  it('speaks Spanish after Spanish audio, and back to the default after English', async () => {
    const h = new Harness({
      stt: [
        { text: 'hola, ¿qué tal?', language: 'es' },
        { text: 'fine, thanks', language: 'en' },
      ],
    });
    const seen = ttsOptions(h);
    h.send({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { turn_detection: null } } },
    });
    for (let turn = 0; turn < 2; turn++) {
      const mark = h.events.length;
      h.send({ type: 'input_audio_buffer.append', audio: pcmSilence(200) });
      h.send({ type: 'input_audio_buffer.commit' });
      h.send({ type: 'response.create' });
      await h.waitFor('response.done', mark);
    }
    expect(seen.map((o) => [o.language, o.voice])).toEqual([
      ['es', 'alloy@es'],
      ['en', 'alloy@en'],
    ]);
  });

  it('words spoken as they are wait for the latest audio’s transcript, to speak in its language', async () => {
    const h = new Harness({ stt: [{ text: 'hola, ¿qué tal?', language: 'es' }], sttDelayMs: 100 });
    const seen = ttsOptions(h);
    h.send({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { turn_detection: null } } },
    });
    h.send({ type: 'input_audio_buffer.append', audio: pcmSilence(200) });
    h.send({ type: 'input_audio_buffer.commit' });
    h.session.say('Un momento, por favor.');
    await h.waitFor('response.done');
    expect(seen.map((o) => [o.language, o.voice])).toEqual([['es', 'alloy@es']]);
  });

  it('maps a language to its configured Cartesia voice; ids given directly stay', async () => {
    const config = loadConfig({
      ...CLOUD,
      CARTESIA_LANGUAGE_VOICES: 'es=voice-es',
      CARTESIA_VOICE_MAP: 'alloy=voice-alloy',
    });
    const p = await assembleProviders(config.providers, SILENT_LOGGER);
    const id = '0123abcd-0000-4000-8000-0123456789ab';
    expect(p.resolveVoice('alloy', undefined)).toBe('voice-alloy');
    expect(p.resolveVoice('alloy', 'en')).toBe('voice-alloy');
    expect(p.resolveVoice('alloy', 'es')).toBe('voice-es');
    expect(p.resolveVoice('verse', 'en-US')).toBe('default-voice');
    expect(p.resolveVoice(id, 'es')).toBe(id);
    await p.close();
  });
});
