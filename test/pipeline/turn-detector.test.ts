/** The turn-detection state machine on synthetic VAD frames (32 ms windows), rule by rule. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PREFIX_PADDING_MS,
  EAGERNESS_SILENCE_MS,
  MIN_SPEECH_MS,
  negativeThresholdFor,
  TurnDetector,
  turnDetectorConfigFor,
} from '../../src/pipeline/turn-detector.js';
import type { TurnDetectorConfig, TurnEvent } from '../../src/pipeline/turn-detector.js';

const W = 32;

/** Frames from a pattern: one character per 32 ms window. '#' 0.9, '+' 0.4 (between thresholds), '.' 0.05. */
function frames(pattern: string, fromMs = 0) {
  const p: Record<string, number> = { '#': 0.9, '+': 0.4, '.': 0.05 };
  return [...pattern].map((c, i) => ({
    startMs: fromMs + i * W,
    endMs: fromMs + (i + 1) * W,
    probability: p[c]!,
  }));
}

function run(config: TurnDetectorConfig, pattern: string, detector = new TurnDetector(config)): TurnEvent[] {
  return frames(pattern).flatMap((f) => detector.push(f));
}

const serverVad = (silence = 500, extra: object = {}) =>
  turnDetectorConfigFor({
    type: 'server_vad',
    threshold: 0.5,
    prefix_padding_ms: 300,
    silence_duration_ms: silence,
    ...extra,
  });

describe('turnDetectorConfigFor', () => {
  it('maps server_vad fields, with hysteresis 0.15 under the threshold and Realtime defaults', () => {
    expect(serverVad(700)).toEqual({
      threshold: 0.5,
      negativeThreshold: 0.35,
      prefixPaddingMs: 300,
      silenceDurationMs: 700,
      maxSilenceMs: 700,
      minSpeechMs: MIN_SPEECH_MS,
      idleTimeoutMs: null,
    });
    const d = turnDetectorConfigFor({ type: 'server_vad' });
    expect([d.threshold, d.prefixPaddingMs, d.silenceDurationMs]).toEqual([
      0.5,
      DEFAULT_PREFIX_PADDING_MS,
      500,
    ]);
    expect(turnDetectorConfigFor({ type: 'server_vad', threshold: 0.1 }).negativeThreshold).toBe(0.01);
    expect(negativeThresholdFor(0.8)).toBeCloseTo(0.65);
    expect(turnDetectorConfigFor({ type: 'server_vad', idle_timeout_ms: 5000 }).idleTimeoutMs).toBe(5000);
  });

  it('maps semantic_vad eagerness to a silence window and a max wait (8/4/2 s), auto as medium', () => {
    for (const e of ['low', 'medium', 'high', 'auto'] as const) {
      const c = turnDetectorConfigFor({ type: 'semantic_vad', eagerness: e });
      expect([c.silenceDurationMs, c.maxSilenceMs]).toEqual([
        EAGERNESS_SILENCE_MS[e].silenceDurationMs,
        EAGERNESS_SILENCE_MS[e].maxSilenceMs,
      ]);
    }
    expect(turnDetectorConfigFor({ type: 'semantic_vad', eagerness: 'low' }).maxSilenceMs).toBe(8000);
    expect(turnDetectorConfigFor({ type: 'semantic_vad', eagerness: 'high' }).maxSilenceMs).toBe(2000);
    expect(turnDetectorConfigFor({ type: 'semantic_vad' })).toEqual(
      turnDetectorConfigFor({ type: 'semantic_vad', eagerness: 'medium' }),
    );
  });

  it('refuses inconsistent configs', () => {
    expect(() => new TurnDetector({ ...serverVad(), negativeThreshold: 0.6 })).toThrow(RangeError);
    expect(() => new TurnDetector({ ...serverVad(), maxSilenceMs: 100 })).toThrow(RangeError);
    expect(() => new TurnDetector({ ...serverVad(), prefixPaddingMs: -1 })).toThrow(RangeError);
  });
});

describe('TurnDetector', () => {
  it('starts a turn after the minimum speech, with audio_start_ms = first speech window - prefix padding', () => {
    // Speech from window 20 (640 ms); confirmed by the third window (ends at 736 ms).
    const d = new TurnDetector(serverVad());
    const ev = frames('.'.repeat(20) + '###').flatMap((f) => d.push(f));
    expect(ev).toEqual([{ type: 'speech_started', audioStartMs: 340, speechStartMs: 640, decidedAtMs: 736 }]);
    expect(d.inSpeech).toBe(true);
  });

  it('floors audio_start_ms at 0', () => {
    expect(run(serverVad(), '..###')[0]).toMatchObject({
      type: 'speech_started',
      audioStartMs: 0,
      speechStartMs: 64,
    });
  });

  it('rejects a click shorter than the minimum speech duration', () => {
    expect(run(serverVad(), '..##.....#.....##..........')).toEqual([]);
    // A window between the thresholds keeps a candidate going.
    expect(run(serverVad(), '..#+#..').map((e) => e.type)).toEqual(['speech_started', 'silence_started']);
  });

  it('ends the turn once silence lasts silence_duration_ms; audio_end_ms includes that silence', () => {
    // Speech windows 10-29 (320-960 ms), silence from 960 ms; 500 ms of it is reached at 1472 ms,
    // the end of window 45 (1440-1472).
    const ev = run(serverVad(500), '.'.repeat(10) + '#'.repeat(20) + '.'.repeat(30));
    expect(ev).toEqual([
      { type: 'speech_started', audioStartMs: 20, speechStartMs: 320, decidedAtMs: 416 },
      { type: 'silence_started', atMs: 960, decidedAtMs: 992 },
      { type: 'speech_stopped', audioEndMs: 1472, speechEndMs: 960, decidedAtMs: 1472 },
    ]);
  });

  it('a 250 ms pause does not end a turn with silence 500 ms: silence_started then speech_resumed', () => {
    const pause = '.'.repeat(8); // 256 ms
    const ev = run(serverVad(500), '..' + '#'.repeat(10) + pause + '#'.repeat(10) + '.'.repeat(20));
    expect(ev.map((e) => e.type)).toEqual([
      'speech_started',
      'silence_started',
      'speech_resumed',
      'silence_started',
      'speech_stopped',
    ]);
    expect(ev[1]).toEqual({ type: 'silence_started', atMs: 384, decidedAtMs: 416 });
    expect(ev[2]).toEqual({ type: 'speech_resumed', atMs: 640, decidedAtMs: 672 });
    expect(ev[4]).toMatchObject({ speechEndMs: 960 });
  });

  it('the same pause ends the turn when silence_duration_ms is shorter than it', () => {
    const ev = run(serverVad(200), '..' + '#'.repeat(10) + '.'.repeat(8) + '#'.repeat(10) + '.'.repeat(10));
    expect(ev.map((e) => e.type)).toEqual([
      'speech_started',
      'silence_started',
      'speech_stopped',
      'speech_started',
      'silence_started',
      'speech_stopped',
    ]);
  });

  it('hysteresis: windows between the thresholds neither start nor end silence', () => {
    // '+' inside speech keeps it going; '+' inside silence does not resume it, nor reset the clock.
    const ev = run(serverVad(320), '..#####++++++#####' + '..+..+..+..+' + '....');
    expect(ev.map((e) => e.type)).toEqual(['speech_started', 'silence_started', 'speech_stopped']);
    expect(ev[1]).toMatchObject({ atMs: 18 * W });
    expect(ev[2]).toMatchObject({ speechEndMs: 18 * W, audioEndMs: 28 * W });
  });

  it('silence_duration_ms 0 ends the turn at the first silent window', () => {
    const ev = run(serverVad(0), '..####.');
    expect(ev.map((e) => e.type)).toEqual(['speech_started', 'silence_started', 'speech_stopped']);
    expect(ev[2]).toMatchObject({ audioEndMs: 7 * W, speechEndMs: 6 * W });
  });

  it('a new turn after a stop needs the minimum speech again', () => {
    const d = new TurnDetector(serverVad(100));
    const ev = frames('..####....' + '#.' + '###').flatMap((f) => d.push(f));
    expect(ev.filter((e) => e.type === 'speech_started')).toHaveLength(2);
    expect(ev.at(-1)).toMatchObject({ type: 'speech_started', speechStartMs: 12 * W });
  });

  it('semantic_vad waits the max silence unless the STT signalled the end of the utterance', () => {
    const config = turnDetectorConfigFor({ type: 'semantic_vad', eagerness: 'high' }); // 300 / 2000 ms
    const d = new TurnDetector(config);
    const speech = frames('..' + '#'.repeat(10));
    const ev1 = speech.flatMap((f) => d.push(f));
    const silence = frames('.'.repeat(70), 12 * W);
    const ev2 = silence.flatMap((f) => d.push(f));
    expect([...ev1, ...ev2].map((e) => e.type)).toEqual([
      'speech_started',
      'silence_started',
      'speech_stopped',
    ]);
    expect(ev2.at(-1)).toMatchObject({ speechEndMs: 384, audioEndMs: 384 + 2016 });

    const d2 = new TurnDetector(config);
    speech.forEach((f) => d2.push(f));
    d2.noteEndOfUtterance();
    const ev3 = silence.flatMap((f) => d2.push(f));
    expect(ev3.at(-1)).toMatchObject({ type: 'speech_stopped', audioEndMs: 384 + 320 });
  });

  it('an end-of-utterance signal is dropped when speech goes on', () => {
    const d = new TurnDetector(turnDetectorConfigFor({ type: 'semantic_vad', eagerness: 'high' }));
    frames('..####').forEach((f) => d.push(f));
    d.noteEndOfUtterance();
    const ev = frames('##' + '.'.repeat(20), 6 * W).flatMap((f) => d.push(f));
    expect(ev.map((e) => e.type)).toEqual(['silence_started']);
  });

  it('idle timeout fires once, on the audio timeline, unless a turn starts first', () => {
    const config = serverVad(500, { idle_timeout_ms: 1000 });
    const d = new TurnDetector(config);
    d.armIdleTimeout(64);
    const ev = frames('.'.repeat(40)).flatMap((f) => d.push(f));
    expect(ev).toEqual([{ type: 'idle_timeout', audioStartMs: 64, audioEndMs: 1088, decidedAtMs: 1088 }]);

    const d2 = new TurnDetector(config);
    d2.armIdleTimeout(0);
    const ev2 = frames('..####' + '.'.repeat(40)).flatMap((f) => d2.push(f));
    expect(ev2.map((e) => e.type)).toEqual(['speech_started', 'silence_started', 'speech_stopped']);

    const d3 = new TurnDetector(serverVad());
    d3.armIdleTimeout(0);
    expect(frames('.'.repeat(400)).flatMap((f) => d3.push(f))).toEqual([]);
  });

  it('reset() drops a turn in progress', () => {
    const d = new TurnDetector(serverVad());
    frames('..#####').forEach((f) => d.push(f));
    d.reset();
    expect(d.inSpeech).toBe(false);
    expect(frames('.'.repeat(30), 7 * W).flatMap((f) => d.push(f))).toEqual([]);
  });
});

describe('TurnDetector.earliestDecisionMs', () => {
  const decisive = (e: TurnEvent) => e.type !== 'silence_started' && e.type !== 'speech_resumed';

  it('names the window a turn can first start or end on, from each state', () => {
    const d = new TurnDetector(serverVad(500));
    expect(d.earliestDecisionMs(0)).toBe(MIN_SPEECH_MS);
    frames('.#').forEach((f) => d.push(f));
    // Pending since the second window: confirmed at the earliest MIN_SPEECH_MS after it began.
    expect(d.earliestDecisionMs(2 * W)).toBe(W + MIN_SPEECH_MS);
    frames('##', 2 * W).forEach((f) => d.push(f));
    expect(d.inSpeech).toBe(true);
    expect(d.earliestDecisionMs(4 * W)).toBe(4 * W + 500);
    frames('..', 4 * W).forEach((f) => d.push(f));
    // Trailing since the fifth window: the turn ends no sooner than 500 ms after it began.
    expect(d.earliestDecisionMs(6 * W)).toBe(4 * W + 500);
    // semantic_vad: silence starting asks the STT for the final that shortens the wait, so no
    // window during speech is relaxed.
    const semantic = new TurnDetector(turnDetectorConfigFor({ type: 'semantic_vad', eagerness: 'high' }));
    frames('####').forEach((f) => semantic.push(f));
    expect(semantic.earliestDecisionMs(4 * W)).toBe(4 * W);
    // An idle timeout due sooner than any speech could be confirmed.
    const idle = new TurnDetector(serverVad(500, { idle_timeout_ms: 1_000 }));
    idle.armIdleTimeout(0);
    frames('.'.repeat(30)).forEach((f) => idle.push(f));
    expect(idle.earliestDecisionMs(30 * W)).toBe(1_000);
  });

  it('is never later than a decision any continuation brings (random patterns, idle timeout, semantic ends)', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const configs = [serverVad(200), serverVad(500, { idle_timeout_ms: 1_000 })];
    configs.push(turnDetectorConfigFor({ type: 'semantic_vad', eagerness: 'high' }));
    let decisions = 0;
    for (let trial = 0; trial < 300; trial++) {
      const config = configs[trial % configs.length]!;
      const pattern = Array.from({ length: 80 }, () => '#+.'[Math.floor(rand() * 3)]!).join('');
      // Runs of speech and silence, as voices have, rather than noise alone.
      const runs = pattern.replace(/(.)/g, (c) => c.repeat(1 + Math.floor(rand() * 8)));
      const all = frames(runs);
      const k = Math.floor(rand() * all.length);
      const d = new TurnDetector(config);
      if (rand() < 0.5) d.armIdleTimeout(Math.floor(rand() * 2_000));
      all.slice(0, k).forEach((f) => d.push(f));
      const from = k * W;
      const earliest = d.earliestDecisionMs(from);
      for (const f of all.slice(k)) {
        if (rand() < 0.05) d.noteEndOfUtterance();
        for (const e of d.push(f).filter(decisive)) {
          decisions++;
          expect(e.decidedAtMs).toBeGreaterThanOrEqual(earliest);
        }
      }
    }
    expect(decisions).toBeGreaterThan(100);
  });
});
