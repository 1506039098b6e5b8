/**
 * The barge-in time the metrics report: from the user's first word (when that audio arrived) to
 * the answer being stopped, so the VAD's detection time counts, not just the cancel's code path.
 */
import { describe, expect, it } from 'vitest';
import { EnergyVad } from '../../src/providers/fake/energy-vad.js';
import { Harness } from '../helpers/session-harness.js';

/** 24 kHz PCM16 loud tone (speech to the energy VAD), 20 ms, base64. */
function tone20ms(): string {
  const pcm = new Int16Array(480);
  for (let i = 0; i < 480; i++) pcm[i] = Math.round(6000 * Math.sin((2 * Math.PI * 220 * i) / 24_000));
  return Buffer.from(pcm.buffer).toString('base64');
}

describe('barge-in stop time', () => {
  it('runs from the user starting to talk over audio to the answer stopping', async () => {
    const stops: number[] = [];
    const h = new Harness({
      vad: new EnergyVad(),
      llm: () => [
        { type: 'text', delta: 'A long answer. ' },
        { type: 'wait', ms: 10_000 },
      ],
      onBargeIn: (ms) => stops.push(ms),
    });
    h.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: 300 } } },
      },
    });
    h.send({ type: 'response.create' });
    await h.waitFor('response.output_audio.delta');
    const mark = h.events.length;
    // The user talks over the answer in real time (20 ms chunks every 20 ms).
    const spokeAt = performance.now();
    let stoppedAt = 0;
    for (let i = 0; i < 50 && !stoppedAt; i++) {
      h.send({ type: 'input_audio_buffer.append', audio: tone20ms() });
      await new Promise((r) => setTimeout(r, 20));
      if (h.types(mark).includes('response.done')) stoppedAt = performance.now();
    }
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stops).toHaveLength(1);
    // The detection took at least the VAD's minimum speech; the figure covers it, within a chunk.
    expect(stops[0]!).toBeGreaterThan(50);
    expect(stops[0]!).toBeLessThanOrEqual(stoppedAt - spokeAt + 1);
    // A client's own cancel is no barge-in.
    h.send({ type: 'response.create' });
    await h.waitFor('response.output_audio.delta', h.events.length);
    h.send({ type: 'response.cancel' });
    expect(stops).toHaveLength(1);
    h.session.close();
  });
});
