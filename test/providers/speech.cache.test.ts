/**
 * The emulators' speech cache: a repeated sentence is synthesized once (the capacity benchmark's
 * hundreds of sessions repeat a few replies), other settings are not confused with it, and a failed
 * synthesis is not kept.
 */
import { describe, expect, it } from 'vitest';
import { UnsupportedVoiceError } from '../../src/emulators/speech/espeak.js';
import { speak } from '../../src/emulators/speech/speak.js';

describe('speak cache', () => {
  it('returns the same synthesis for the same text, voice, rate and speed', async () => {
    const opts = { voice: 'en-us', sampleRate: 8_000 };
    const [a, b] = await Promise.all([speak('Cached once.', opts), speak('Cached once.', opts)]);
    expect(b).toBe(a);
    expect(await speak('Cached once.', opts)).toBe(a);
    const faster = await speak('Cached once.', { ...opts, speed: 1.5 });
    const wider = await speak('Cached once.', { ...opts, sampleRate: 24_000 });
    expect(faster).not.toBe(a);
    expect(faster.pcm.length).toBeLessThan(a.pcm.length);
    expect(Math.abs(wider.pcm.length - a.pcm.length * 3)).toBeLessThanOrEqual(10);
  });

  it('does not keep a failure', async () => {
    const opts = { voice: 'xx-nope', sampleRate: 8_000 };
    await expect(speak('No such voice.', opts)).rejects.toBeInstanceOf(UnsupportedVoiceError);
    await expect(speak('No such voice.', opts)).rejects.toBeInstanceOf(UnsupportedVoiceError);
  });
});
