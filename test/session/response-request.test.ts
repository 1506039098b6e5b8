/** A response's request, voice and language, and the wait for the user's transcripts. */
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../src/session/conversation.js';
import { awaitTranscripts, prepareRequest } from '../../src/session/response-request.js';
import type { LanguagePolicy } from '../../src/session/response-request.js';
import { testSession } from '../helpers/entries.js';

const session = testSession();

/** A user item with audio, and what the STT made of it. */
function userAudio(extras: Entry['extras']): Entry {
  return {
    item: {
      id: 'item_u',
      type: 'message',
      object: 'realtime.item',
      status: 'completed',
      role: 'user',
      content: [{ type: 'input_audio', transcript: null }],
    } as Entry['item'],
    extras,
  };
}

const llmContext = { tokens: 32_768 };
const voiceOf = (voice: string, language: string | undefined) => `${voice}@${language ?? 'default'}`;

describe('prepareRequest', () => {
  it('answers in the language the STT heard, else the one the session set', () => {
    const heard = prepareRequest({
      session,
      params: {},
      context: [userAudio({ transcript: 'hola', language: 'es' })],
      voice: 'alloy',
      resolveVoice: voiceOf,
      llmContext,
    });
    expect(heard.language).toBe('es');
    expect(heard.ttsVoice).toBe('alloy@es');
    expect(heard.request.instructions).toBe('Be brief.');

    const configured = { ...session, audio: { ...session.audio, input: { ...session.audio.input } } };
    configured.audio.input.transcription = { model: 'nova-3', language: 'en' };
    const set = prepareRequest({
      session: configured,
      params: {},
      context: [userAudio({ transcript: 'hello' })],
      voice: 'alloy',
      resolveVoice: voiceOf,
      llmContext,
    });
    expect(set.language).toBe('en');
  });

  it('lets a phone call’s policy pick the language when detection gives none, and its instructions', () => {
    const told: string[] = [];
    const policy: LanguagePolicy = {
      fallback: () => 'es',
      instructionsFor: (language) => {
        told.push(language);
        return `Habla en ${language}.`;
      },
    };
    const prepared = prepareRequest({
      session,
      params: {},
      context: [userAudio({ transcript: 'sí', language: 'multi' })],
      voice: 'alloy',
      resolveVoice: voiceOf,
      llmContext,
      policy,
    });
    expect(prepared.language).toBe('es');
    expect(prepared.request.instructions).toBe('Habla en es.');
    expect(told).toEqual(['es']);
  });
});

describe('awaitTranscripts', () => {
  it('waits for the transcript, then answers', async () => {
    const entry = userAudio({});
    entry.extras.transcriptReady = new Promise<void>((resolve) =>
      setTimeout(() => {
        entry.extras.transcript = 'hello';
        resolve();
      }, 20),
    );
    await expect(awaitTranscripts([entry], 1_000)).resolves.toBeUndefined();
  });

  it('fails with a reason when the user’s latest audio has no transcript in time, or none at all', async () => {
    const late = userAudio({ transcriptReady: new Promise<void>(() => {}) });
    await expect(awaitTranscripts([late], 30)).rejects.toThrow(
      "no transcript of the user's audio within 30 ms",
    );

    // The transcriber leaves an empty transcript and the flag when the STT fails.
    const failed = userAudio({ transcriptReady: Promise.resolve(), transcriptFailed: true, transcript: '' });
    await expect(awaitTranscripts([failed], 30)).rejects.toThrow('could not be transcribed');
  });
});
