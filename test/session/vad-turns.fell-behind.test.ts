/** A VAD that falls seconds behind real time is restarted from now, not switched off for the session. */
import { describe, expect, it } from 'vitest';
import type { VadFrame, VadStage } from '../../src/providers/types.js';
import { EnergyVad } from '../../src/providers/fake/energy-vad.js';
import { Harness } from '../helpers/session-harness.js';

/** The first stream never reads its audio (a starved CPU); later ones are an energy VAD. */
class StallsOnceVad implements VadStage {
  readonly label = 'stalls-once';
  readonly sampleRates: readonly number[];
  streams = 0;
  constructor(private readonly inner = new EnergyVad()) {
    this.sampleRates = inner.sampleRates;
  }
  detect(
    frames: AsyncIterable<Int16Array>,
    opts: { sampleRate: number },
    signal: AbortSignal,
  ): AsyncIterable<VadFrame> {
    if (this.streams++ > 0) return this.inner.detect(frames, opts, signal);
    return (async function* () {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      yield* [];
    })();
  }
}

const chunk = (amplitude: number) => {
  const pcm = new Int16Array(480);
  for (let i = 0; i < pcm.length; i++)
    pcm[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 220 * i) / 24_000));
  return Buffer.from(pcm.buffer).toString('base64');
};

describe('turn detection falling behind', () => {
  it('restarts from the audio arriving now and keeps detecting turns', async () => {
    const vad = new StallsOnceVad();
    const h = new Harness({ vad });
    h.send({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { turn_detection: { type: 'server_vad' } } } },
    });
    // 12 s of audio the stalled VAD never reads: its 10 s queue overflows.
    for (let i = 0; i < 600; i++) h.send({ type: 'input_audio_buffer.append', audio: chunk(0) });
    expect(vad.streams).toBe(2);
    expect(h.types().filter((t) => t === 'error')).toEqual([]);
    // Speech now is heard by the restarted VAD.
    for (let i = 0; i < 25; i++) {
      h.send({ type: 'input_audio_buffer.append', audio: chunk(6000) });
      await new Promise((r) => setTimeout(r, 2));
    }
    await h.waitFor('input_audio_buffer.speech_started');
    h.session.close();
  });
});
