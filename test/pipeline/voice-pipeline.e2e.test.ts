/**
 * The whole voice pipeline on real speech: a Realtime client streams espeak-ng fixtures into the
 * gateway, which runs Silero VAD, the Deepgram, LLM and Cartesia adapters against their emulators.
 * Event orders are those of shared/realtime-protocol.md 4.2 (voice turn) and 4.4 (barge-in).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMulaw } from '../../src/audio/g711.js';
import { resamplePcm16 } from '../../src/audio/resampler.js';
import { loadSpeech } from '../fixtures/speech/index.js';
import { startProviderGateway } from '../helpers/gateway.js';
import type { ProviderGateway } from '../helpers/gateway.js';
import { TestClient } from '../helpers/ws-client.js';

let gw: ProviderGateway;
let url: string;

beforeAll(async () => {
  gw = await startProviderGateway({
    sttScript: [
      'what is the weather like in paris today',
      'hello there',
      'tell me more',
      'and now',
      'one more',
    ],
  });
  url = gw.url;
}, 20_000);
afterAll(() => gw.close());

/** Sends audio as 20 ms appends at the pace it plays. */
async function streamRealtime(c: TestClient, bytes: Uint8Array, bytesPer20Ms: number): Promise<void> {
  const t0 = Date.now();
  for (let i = 0, n = 0; i < bytes.byteLength; i += bytesPer20Ms, n++) {
    const wait = t0 + n * 20 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (c.ws.readyState !== c.ws.OPEN) return;
    c.appendAudio(bytes.subarray(i, i + bytesPer20Ms), bytesPer20Ms);
  }
}

function pcm24(samples: Int16Array): Uint8Array {
  return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
}

const silence24 = (ms: number) => new Uint8Array(ms * 48);
const VAD = { type: 'server_vad', silence_duration_ms: 500, prefix_padding_ms: 300 };

describe('voice pipeline on real speech', () => {
  it('a voice turn: VAD, streaming transcript, response audio, in protocol order', async () => {
    const c = await TestClient.open(url, {
      type: 'realtime',
      audio: { input: { turn_detection: VAD, transcription: { model: 'nova-3' } } },
    });
    const weather = resamplePcm16(loadSpeech('en-weather', 16_000), 16_000, 24_000);
    c.appendAudio(pcm24(weather), 960);
    c.appendAudio(silence24(1_000), 960);
    const done = await c.next('response.done', () => true, 15_000);
    expect(done.response).toMatchObject({ status: 'completed' });
    const types = c
      .types()
      .filter((t) => !t.endsWith('.delta') && t !== 'conversation.item.input_audio_transcription.completed');
    expect(types).toEqual([
      'session.created',
      'session.updated',
      'input_audio_buffer.speech_started',
      'input_audio_buffer.speech_stopped',
      'input_audio_buffer.committed',
      'conversation.item.added',
      'conversation.item.done',
      'response.created',
      'response.output_item.added',
      'conversation.item.added',
      'response.content_part.added',
      'response.output_audio.done',
      'response.output_audio_transcript.done',
      'response.content_part.done',
      'response.output_item.done',
      'conversation.item.done',
      'response.done',
    ]);
    const started = c.received.find((e) => e.type === 'input_audio_buffer.speech_started')!;
    const stopped = c.received.find((e) => e.type === 'input_audio_buffer.speech_stopped')!;
    // The fixture's speech runs from 500 to 2479 ms: start minus 300 ms padding, end plus the silence window.
    expect(Math.abs((started.audio_start_ms as number) - 200)).toBeLessThanOrEqual(100);
    expect(Math.abs((stopped.audio_end_ms as number) - (2479 + 500))).toBeLessThanOrEqual(150);
    const transcript = c.received.find(
      (e) => e.type === 'conversation.item.input_audio_transcription.completed',
    )!;
    expect(transcript).toMatchObject({
      item_id: started.item_id,
      transcript: 'what is the weather like in paris today',
    });
    const spoken = c.received
      .filter((e) => e.type === 'response.output_audio_transcript.delta')
      .map((e) => e.delta)
      .join('');
    expect(spoken).toBe('You said: what is the weather like in paris today.');
    expect(c.received.filter((e) => e.type === 'response.output_audio.delta').length).toBeGreaterThan(5);
    await c.close();
  });

  it('barge-in: speech during the answer cancels it (turn_detected), then truncate keeps the words heard', async () => {
    const c = await TestClient.open(url, { type: 'realtime', audio: { input: { turn_detection: VAD } } });
    // A long answer, so the user has something to interrupt.
    c.send({
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'user',
        content: [
          {
            type: 'input_text',
            text: 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen',
          },
        ],
      },
    });
    c.send({ type: 'response.create' });
    const firstAudio = await c.next('response.output_audio.delta', () => true, 10_000);
    const itemId = firstAudio.item_id as string;
    const mark = c.received.length;
    const hello = resamplePcm16(loadSpeech('en-hello', 16_000), 16_000, 24_000);
    c.appendAudio(pcm24(hello), 960);
    const cancelled = await c.next('response.done', () => true, 10_000);
    expect(cancelled.response).toMatchObject({
      status: 'cancelled',
      status_details: { reason: 'turn_detected' },
    });
    const order = c.typesSince(mark).filter((t) => !t.endsWith('.delta'));
    expect(order.slice(0, 7)).toEqual([
      'input_audio_buffer.speech_started',
      'response.output_audio.done',
      'response.output_audio_transcript.done',
      'response.content_part.done',
      'response.output_item.done',
      'conversation.item.done',
      'response.done',
    ]);
    // The client played 300 ms: the assistant item keeps only the words that had started by then.
    c.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 300 });
    await c.next('conversation.item.truncated');
    c.send({ type: 'conversation.item.retrieve', item_id: itemId });
    const item = (await c.next('conversation.item.retrieved')).item as {
      content: { transcript: string; audio: string }[];
    };
    const heard = item.content[0]!.transcript;
    expect(heard.length).toBeGreaterThan(0);
    expect('You said: one two three four five six seven'.startsWith(heard)).toBe(true);
    expect(heard.split(' ').length).toBeLessThan(8);
    expect(Buffer.from(item.content[0]!.audio, 'base64').byteLength).toBe(300 * 48);
    c.appendAudio(silence24(1_000), 960);
    await c.close();
  });

  it('semantic_vad ends the turn soon after the STT hears a finished sentence', async () => {
    const scripted = await startProviderGateway({ sttScript: ['Hello there.'] });
    try {
      const c = await TestClient.open(scripted.url, {
        type: 'realtime',
        output_modalities: ['text'],
        audio: { input: { turn_detection: { type: 'semantic_vad', eagerness: 'high' } } },
      });
      // In real time: the VAD and the STT must hear the audio at the pace a person speaks it.
      const speech = pcm24(resamplePcm16(loadSpeech('en-hello', 16_000), 16_000, 24_000));
      const all = new Uint8Array(speech.byteLength + 2_500 * 48);
      all.set(speech);
      void streamRealtime(c, all, 960);
      const stopped = await c.next('input_audio_buffer.speech_stopped', () => true, 10_000);
      // Speech ends at 1194 ms. Without the end-of-utterance signal, 'high' waits its 2 s maximum.
      expect((stopped.audio_end_ms as number) - 1194).toBeLessThan(1_200);
      await c.close();
    } finally {
      await scripted.close();
    }
  });

  it('a Spanish turn in a bilingual session: the answer is spoken in Spanish, with the Spanish voice', async () => {
    const languages: (string | undefined)[] = [];
    const bilingual = await startProviderGateway({
      env: { DEEPGRAM_LANGUAGE: 'multi' },
      sttScript: ['[es] ¿Qué tiempo hace hoy en Madrid?', '[en] Hello there.'],
      onResolveVoice: (_voice, language) => languages.push(language),
    });
    try {
      const c = await TestClient.open(bilingual.url, {
        type: 'realtime',
        audio: { input: { turn_detection: VAD } },
      });
      c.appendAudio(pcm24(resamplePcm16(loadSpeech('es-madrid', 16_000), 16_000, 24_000)), 960);
      c.appendAudio(silence24(1_200), 960);
      const first = await c.next('response.done', () => true, 15_000);
      expect(first.response).toMatchObject({ status: 'completed' });
      c.appendAudio(pcm24(resamplePcm16(loadSpeech('en-hello', 16_000), 16_000, 24_000)), 960);
      c.appendAudio(silence24(1_200), 960);
      await c.next('response.done', () => true, 15_000);
      // The TTS was asked for Spanish after the Spanish turn, then English again.
      expect(languages).toEqual(['es', 'en']);
      const spoken = c.received
        .filter((e) => e.type === 'response.output_audio_transcript.done')
        .map((e) => e.transcript);
      expect(spoken[0]).toMatch(/^You said: ¿Qué tiempo hace hoy en Madrid/);
      await c.close();
    } finally {
      await bilingual.close();
    }
  });

  it('the user resumes after a short pause: the speculative response is dropped, one turn, one response', async () => {
    const c = await TestClient.open(url, {
      type: 'realtime',
      output_modalities: ['text'],
      audio: { input: { turn_detection: VAD, transcription: { model: 'nova-3' } } },
    });
    // 'inner-pause' holds a 250 ms pause inside one utterance: silence begins (speculation starts),
    // then speech resumes before the 500 ms silence window, so the speculation must leave no trace.
    const speech = pcm24(resamplePcm16(loadSpeech('inner-pause', 16_000), 16_000, 24_000));
    const all = new Uint8Array(speech.byteLength + 1_500 * 48);
    all.set(speech);
    await streamRealtime(c, all, 960);
    await c.next('response.done', () => true, 10_000);
    await new Promise((r) => setTimeout(r, 200));
    const types = c.types();
    expect(types.filter((t) => t === 'input_audio_buffer.speech_started')).toHaveLength(1);
    expect(types.filter((t) => t === 'response.created')).toHaveLength(1);
    expect(types.filter((t) => t === 'response.done')).toHaveLength(1);
    const transcript = c.received.find(
      (e) => e.type === 'conversation.item.input_audio_transcription.completed',
    );
    const answer = c.received.find((e) => e.type === 'response.output_text.done');
    // The answer repeats the whole utterance, both sides of the pause.
    expect(answer?.text).toBe(`You said: ${(transcript?.transcript as string).replace(/[.!?]+$/, '')}.`);
    await c.close();
  }, 15_000);

  it('a G.711 μ-law session: 8 kHz in and out, VAD on the native rate', async () => {
    const c = await TestClient.open(url, {
      type: 'realtime',
      audio: {
        input: { format: { type: 'audio/pcmu' }, turn_detection: VAD },
        output: { format: { type: 'audio/pcmu' } },
      },
    });
    const ulaw = encodeMulaw(loadSpeech('en-hello', 8_000));
    c.appendAudio(ulaw, 160);
    c.appendAudio(new Uint8Array(8_000).fill(0xff), 160);
    const done = await c.next('response.done', () => true, 15_000);
    expect(done.response).toMatchObject({
      status: 'completed',
      audio: { output: { format: { type: 'audio/pcmu' } } },
    });
    const audio = c.received
      .filter((e) => e.type === 'response.output_audio.delta')
      .map((e) => Buffer.from(e.delta as string, 'base64'));
    const bytes = audio.reduce((n, b) => n + b.byteLength, 0);
    // u-law at 8 kHz: 8 bytes per ms; the answer is at least half a second of speech.
    expect(bytes).toBeGreaterThan(4_000);
    await c.close();
  });
});
