/**
 * Silero VAD + the turn detector end to end on the real-speech fixtures: turns start and stop
 * within 100 ms of the measured speech spans, a 250 ms pause does not end a turn at 500 ms of
 * silence, and a tone or noise starts none; at 8 and 16 kHz, and from 24 kHz through the filter
 * server VAD uses for PCM input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resamplePcm16 } from '../../src/audio/resampler.js';
import { TurnDetector, turnDetectorConfigFor } from '../../src/pipeline/turn-detector.js';
import type { TurnEvent } from '../../src/pipeline/turn-detector.js';
import { SileroVad } from '../../src/providers/silero/index.js';
import { VAD_RESAMPLER_QUALITY } from '../../src/session/server-vad.js';
import { loadSpeech, SPEECH_FIXTURES } from '../fixtures/speech/index.js';
import type { SpeechFixtureName } from '../fixtures/speech/index.js';

const TOLERANCE_MS = 100;
/**
 * Silero holds its probability up for a few windows after the waveform ends: turn ends come
 * 40-90 ms after the measured end at 16 kHz, up to 113 ms at 8 kHz (en-weather, es-madrid).
 */
const END_TOLERANCE_MS = 120;
const PREFIX_MS = 300;

let vad: SileroVad;
beforeAll(async () => {
  vad = await SileroVad.load();
});
afterAll(async () => {
  await vad.close();
});

/** Streams the samples (then 1 s of silence, so the last turn can end) in 20 ms chunks. */
async function turns(pcm: Int16Array, sampleRate: number, silenceMs: number): Promise<TurnEvent[]> {
  const detector = new TurnDetector(
    turnDetectorConfigFor({
      type: 'server_vad',
      threshold: 0.5,
      prefix_padding_ms: PREFIX_MS,
      silence_duration_ms: silenceMs,
    }),
  );
  const all = new Int16Array(pcm.length + sampleRate);
  all.set(pcm);
  const step = sampleRate / 50;
  async function* chunks() {
    for (let i = 0; i < all.length; i += step) yield all.subarray(i, i + step);
  }
  const out: TurnEvent[] = [];
  for await (const f of vad.detect(chunks(), { sampleRate }, new AbortController().signal))
    out.push(...detector.push(f));
  return out;
}

function expectTurnsMatch(
  events: TurnEvent[],
  spans: [number, number][],
  silenceMs: number,
  endToleranceMs = TOLERANCE_MS,
): void {
  const starts = events.filter((e) => e.type === 'speech_started');
  const stops = events.filter((e) => e.type === 'speech_stopped');
  expect(starts).toHaveLength(spans.length);
  expect(stops).toHaveLength(spans.length);
  spans.forEach(([start, end], i) => {
    const s = starts[i]!;
    const e = stops[i]!;
    expect(Math.abs(s.speechStartMs - start)).toBeLessThanOrEqual(TOLERANCE_MS);
    expect(Math.abs(s.audioStartMs - (start - PREFIX_MS))).toBeLessThanOrEqual(TOLERANCE_MS);
    expect(Math.abs(e.speechEndMs - end)).toBeLessThanOrEqual(endToleranceMs);
    // audio_end_ms includes the silence that ended the turn (one 32 ms window of rounding at most).
    expect(e.audioEndMs - e.speechEndMs).toBeGreaterThanOrEqual(silenceMs);
    expect(e.audioEndMs - e.speechEndMs).toBeLessThan(silenceMs + 32);
  });
}

describe('VAD + turn detection on real speech', () => {
  for (const rate of [8000, 16000]) {
    it(`two utterances 700 ms apart are two turns at ${rate} Hz`, async () => {
      const ev = await turns(loadSpeech('two-turns', rate), rate, 500);
      expectTurnsMatch(ev, SPEECH_FIXTURES['two-turns'].speechMs, 500);
      expect(ev.map((e) => e.type)).toEqual([
        'speech_started',
        'silence_started',
        'speech_stopped',
        'speech_started',
        'silence_started',
        'speech_stopped',
      ]);
    });

    it(`a 250 ms pause inside an utterance does not end the turn at silence 500 ms (${rate} Hz)`, async () => {
      const ev = await turns(loadSpeech('inner-pause', rate), rate, 500);
      const [first, second] = SPEECH_FIXTURES['inner-pause'].speechMs as [[number, number], [number, number]];
      expectTurnsMatch(ev, [[first[0], second[1]]], 500);
      expect(ev.map((e) => e.type)).toEqual([
        'speech_started',
        'silence_started',
        'speech_resumed',
        'silence_started',
        'speech_stopped',
      ]);
      const resumed = ev.find((e) => e.type === 'speech_resumed');
      expect(Math.abs(resumed!.atMs - second[0])).toBeLessThanOrEqual(TOLERANCE_MS);
      // With 100 ms of silence enough, the same pause splits it in two (the model hears ~160 ms of it).
      expectTurnsMatch(await turns(loadSpeech('inner-pause', rate), rate, 100), [first, second], 100);
    });

    for (const name of ['en-hello', 'en-weather', 'es-madrid'] as SpeechFixtureName[]) {
      it(`${name} is one turn at ${rate} Hz`, async () => {
        const ev = await turns(loadSpeech(name, rate), rate, 500);
        expectTurnsMatch(ev, SPEECH_FIXTURES[name].speechMs, 500, END_TOLERANCE_MS);
      });
    }

    it(`a tone and white noise start no turn at ${rate} Hz`, async () => {
      for (const name of ['tone-440', 'white-noise'] as const) {
        expect(await turns(loadSpeech(name, rate), rate, 500)).toEqual([]);
      }
    });
  }
});

describe('24 kHz input through the VAD-grade filter server VAD uses', () => {
  /** The fixture at 24 kHz: two-turns has a file, the others are brought up from 16 kHz. */
  const at24k = (name: SpeechFixtureName) =>
    name === 'two-turns' ? loadSpeech(name, 24000) : resamplePcm16(loadSpeech(name, 16000), 16000, 24000);
  /**
   * To 16 kHz through the filter a session's VAD uses. In one go: the streaming resampler's output
   * does not depend on how its input is cut (resampler.test.ts), so it is what 20 ms appends give.
   */
  const toVad = (pcm: Int16Array) => resamplePcm16(pcm, 24000, 16000, VAD_RESAMPLER_QUALITY);

  for (const name of ['two-turns', 'en-hello', 'en-weather', 'es-madrid'] as SpeechFixtureName[]) {
    it(`${name} gives the turns of its measured speech`, async () => {
      const ev = await turns(toVad(at24k(name)), 16000, 500);
      expectTurnsMatch(ev, SPEECH_FIXTURES[name].speechMs, 500, END_TOLERANCE_MS);
    });
  }

  it('a 250 ms pause does not end the turn, and a tone or noise starts none', async () => {
    const spans = SPEECH_FIXTURES['inner-pause'].speechMs;
    const ev = await turns(toVad(at24k('inner-pause')), 16000, 500);
    expectTurnsMatch(ev, [[spans[0]![0], spans[1]![1]]], 500);
    for (const name of ['tone-440', 'white-noise'] as const)
      expect(await turns(toVad(at24k(name)), 16000, 500)).toEqual([]);
  });
});
