/** The load guard: event-loop utilization over a sliding window, against a threshold. */
import { afterEach, describe, expect, it } from 'vitest';
import { EventLoopLoad, LOAD_WINDOW_MS } from '../../../src/server/load-guard.js';

/** A loop whose cumulative busy and idle ms the test advances. */
function fakeLoop() {
  const t = { active: 0, idle: 0 };
  return {
    sampler: () => ({ ...t }),
    run: (busyMs: number, idleMs: number) => {
      t.active += busyMs;
      t.idle += idleMs;
    },
  };
}

/** `seconds` seconds of the loop busy `busyMs` in each, the guard sampling once a second. */
function runSeconds(
  loop: ReturnType<typeof fakeLoop>,
  load: EventLoopLoad,
  busyMs: number,
  seconds = 5,
): void {
  for (let s = 0; s < seconds; s++) {
    loop.run(busyMs, 1_000 - busyMs);
    load.keep();
  }
}

const started: EventLoopLoad[] = [];
/** A guard that samples from now on, stopped after the test. */
function startedLoad(
  threshold: number,
  sampler?: () => { active: number; idle: number },
  sessions?: () => number,
): EventLoopLoad {
  const load = new EventLoopLoad(threshold, sampler, sessions);
  load.start();
  started.push(load);
  return load;
}
afterEach(() => {
  for (const l of started.splice(0)) l.stop();
});

describe('EventLoopLoad', () => {
  it('reads nothing before it starts: loading the providers is not load', () => {
    const loop = fakeLoop();
    const load = new EventLoopLoad(0.9, loop.sampler);
    loop.run(5_000, 0);
    expect(load.utilization).toBe(0);
    expect(load.overloaded).toBe(false);
  });

  it('reads utilization since the oldest kept sample and compares it with the threshold', () => {
    const loop = fakeLoop();
    const load = startedLoad(0.9, loop.sampler);
    loop.run(850, 150);
    expect(load.utilization).toBeCloseTo(0.85);
    expect(load.overloaded).toBe(false);
    loop.run(1_000, 0);
    expect(load.utilization).toBeCloseTo(0.925);
    expect(load.overloaded).toBe(true);
  });

  it('forgets what is older than the window, so a busy spell passes', () => {
    const loop = fakeLoop();
    const load = startedLoad(0.9, loop.sampler);
    // Five busy seconds, a sample each.
    runSeconds(loop, load, 1_000);
    expect(load.overloaded).toBe(true);
    // Then quiet seconds: once the busy samples slide out of the window, the reading is the quiet.
    for (let s = 0; s < LOAD_WINDOW_MS / 1_000 + 1; s++) {
      loop.run(100, 900);
      load.keep();
    }
    expect(load.utilization).toBeCloseTo(0.1);
    expect(load.overloaded).toBe(false);
  });

  it('says nothing over too short a span, and never refuses at threshold 0', () => {
    const loop = fakeLoop();
    const load = startedLoad(0.5, loop.sampler);
    loop.run(900, 0);
    expect(load.utilization).toBe(0);
    loop.run(200, 0);
    expect(load.overloaded).toBe(true);

    const off = startedLoad(0, loop.sampler);
    loop.run(5_000, 0);
    expect(off.utilization).toBe(1);
    expect(off.overloaded).toBe(false);
  });

  it('refuses a threshold outside 0 to 1', () => {
    expect(() => new EventLoopLoad(1.5)).toThrow(RangeError);
    expect(() => new EventLoopLoad(-0.1)).toThrow(RangeError);
    expect(() => new EventLoopLoad(Number.NaN)).toThrow(RangeError);
  });

  it('counts sessions admitted since the reading at the cost per session the window saw', () => {
    const loop = fakeLoop();
    let open = 100;
    const load = startedLoad(0.8, loop.sampler, () => open);
    // Five seconds at 100 sessions, 0.5 busy: under the threshold, and the projection is the reading.
    runSeconds(loop, load, 500);
    expect(load.utilization).toBeCloseTo(0.5);
    expect(load.read().projected).toBeCloseTo(0.5);
    expect(load.overloaded).toBe(false);
    // A ramp: 60 more sessions before their load shows. 0.5 x 160 / 100 = 0.8.
    open = 160;
    expect(load.utilization).toBeCloseTo(0.5);
    expect(load.read().projected).toBeCloseTo(0.8);
    expect(load.overloaded).toBe(true);
    // Sessions leaving do not lower the projection below the reading.
    open = 20;
    expect(load.read().projected).toBeCloseTo(0.5);
    expect(load.overloaded).toBe(false);
  });

  it('scales by the window’s mean session count, at most twice, and not with the guard off', () => {
    const loop = fakeLoop();
    let open = 100;
    const load = startedLoad(0.8, loop.sampler, () => open);
    const off = startedLoad(0, loop.sampler, () => open);
    // A ramp inside the window: samples at 100, 120, 140, 160 and 180 sessions (mean 140).
    for (let s = 0; s < 5; s++) {
      open = 100 + 20 * s;
      loop.run(600, 400);
      load.keep();
      off.keep();
    }
    open = 210;
    // The first sample is the one kept at start (100 sessions): mean (100 + 100 + ... + 180) / 6.
    const mean = (100 + 100 + 120 + 140 + 160 + 180) / 6;
    expect(load.read()).toEqual({
      utilization: 0.6,
      projected: Math.round(((0.6 * 210) / mean) * 1000) / 1000,
      overloaded: true,
    });
    // Threshold 0: nothing projected, never overloaded.
    expect(off.read()).toEqual({ utilization: 0.6, projected: 0.6, overloaded: false });
    // A burst far past the window's sessions counts at most double.
    open = 10_000;
    expect(load.read().projected).toBeCloseTo(1.2);
  });

  it('does not project from a quiet loop: a burst of calls to an idle server is not an overload', () => {
    const loop = fakeLoop();
    let open = 1;
    const load = startedLoad(0.8, loop.sampler, () => open);
    runSeconds(loop, load, 20);
    // 0.02 x 50 would read 1.0: the quiet loop's own work is not a cost per session.
    open = 50;
    expect(load.read().projected).toBeCloseTo(0.02);
    expect(load.overloaded).toBe(false);
  });

  it('reads the loop as it is when the window saw no sessions', () => {
    const loop = fakeLoop();
    let open = 0;
    const load = startedLoad(0.8, loop.sampler, () => open);
    runSeconds(loop, load, 700);
    open = 40;
    expect(load.read()).toEqual({ utilization: 0.7, projected: 0.7, overloaded: false });
  });

  it('reads the real event loop by default', async () => {
    const load = startedLoad(0.9);
    const until = Date.now() + 1_200;
    while (Date.now() < until); // busy: the loop never waits
    expect(load.utilization).toBeGreaterThan(0.9);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(load.utilization).toBeLessThan(0.9);
  });
});
