/** The ring of recent appends' arrival times that turn latency and barge-in stop time read. */
import { describe, expect, it } from 'vitest';
import { AppendClock } from '../../src/session/append-clock.js';

describe('AppendClock', () => {
  it('finds the arrival of the first append that reached a point of the timeline', () => {
    const clock = new AppendClock(8);
    for (let i = 1; i <= 5; i++) clock.push(i * 20, 1000 + i);
    expect(clock.arrivalOf(0)).toBe(1001);
    expect(clock.arrivalOf(20)).toBe(1001);
    expect(clock.arrivalOf(41)).toBe(1003);
    expect(clock.arrivalOf(100)).toBe(1005);
    expect(clock.arrivalOf(101)).toBeUndefined();
  });

  it('forgets the oldest appends once full, searching oldest first across the wrap', () => {
    const clock = new AppendClock(4);
    for (let i = 1; i <= 10; i++) clock.push(i * 20, 1000 + i);
    // Appends 7 to 10 remain: a point before them maps to the oldest kept, 7.
    expect(clock.arrivalOf(0)).toBe(1007);
    expect(clock.arrivalOf(150)).toBe(1008);
    expect(clock.arrivalOf(200)).toBe(1010);
    expect(clock.arrivalOf(201)).toBeUndefined();
  });

  it('answers nothing before the first append', () => {
    expect(new AppendClock(4).arrivalOf(0)).toBeUndefined();
  });
});
