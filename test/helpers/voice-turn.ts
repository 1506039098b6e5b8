/** A spoken turn for tests of the whole pipeline: server VAD on, then speech and a second of silence. */
import { resamplePcm16 } from '../../src/audio/resampler.js';
import { loadSpeech } from '../fixtures/speech/index.js';
import type { TestClient } from './ws-client.js';

/** Turns on server VAD, then appends "what is the weather like in paris today" at 24 kHz and 1 s of silence. */
export async function speakWeatherTurn(c: TestClient): Promise<Buffer> {
  c.send({
    type: 'session.update',
    session: { type: 'realtime', audio: { input: { turn_detection: { type: 'server_vad' } } } },
  });
  await c.next('session.updated');
  const speech = resamplePcm16(loadSpeech('en-weather', 16_000), 16_000, 24_000);
  const bytes = new Uint8Array(speech.buffer, speech.byteOffset, speech.byteLength);
  const audio = Buffer.concat([Buffer.from(bytes), Buffer.alloc(1_000 * 48)]);
  c.appendAudio(audio, 960);
  return audio;
}
