import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OutputAudioPacer } from '../../../src/session/audio-pacer.js';

// μ-law at 8 kHz: 8 bytes per ms, so a 40 ms chunk is 320 bytes.
const BYTES_PER_MS = 8;
const LIMITS = { maxDeltaMs: 200, minLeadMs: 300 };
const chunk = (ms: number, fill = 0) => new Uint8Array(ms * BYTES_PER_MS).fill(fill);

describe('OutputAudioPacer', () => {
  let sent: { at: number; ms: number; bytes: Uint8Array }[];
  let pacer: OutputAudioPacer;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
    sent = [];
    pacer = new OutputAudioPacer(
      BYTES_PER_MS,
      (bytes) => sent.push({ at: Date.now(), ms: bytes.byteLength / BYTES_PER_MS, bytes }),
      LIMITS,
      () => Date.now(),
    );
  });
  afterEach(() => {
    pacer.stop();
    vi.useRealTimers();
  });

  /** The client's lead (audio received minus played since the first delta) at every send. */
  const leadAt = (t: number) => {
    const first = sent[0]?.at ?? t;
    const received = sent.filter((s) => s.at <= t).reduce((n, s) => n + s.ms, 0);
    return received - (t - first);
  };

  it('sends the first chunks at once, until the client holds minLeadMs', () => {
    // A TTS 4x faster than real time: a 40 ms chunk every 10 ms.
    for (let i = 0; i < 8; i++) {
      pacer.push(chunk(40));
      vi.advanceTimersByTime(10);
    }
    // 8 chunks, 320 ms of audio after 70 ms: the lead passed 300 ms only at the eighth.
    expect(sent.map((s) => s.ms)).toEqual([40, 40, 40, 40, 40, 40, 40, 40]);
    expect(sent[0]!.at).toBe(0);
  });

  it('joins chunks into deltas of at most maxDeltaMs once the client is ahead', () => {
    for (let i = 0; i < 60; i++) {
      pacer.push(chunk(40, i));
      vi.advanceTimersByTime(10);
    }
    pacer.flush();
    const total = sent.reduce((n, s) => n + s.ms, 0);
    expect(total).toBe(60 * 40);
    // Bytes in order, nothing lost or repeated.
    const all = Buffer.concat(sent.map((s) => s.bytes));
    for (let i = 0; i < 60; i++) expect(all[i * 320]).toBe(i);
    // Single chunks until the lead reached 300 ms, then joined deltas of at most 200 ms.
    expect(sent.slice(0, 8).every((s) => s.ms === 40)).toBe(true);
    expect(Math.max(...sent.map((s) => s.ms))).toBe(200);
    expect(sent.filter((s) => s.ms === 200).length).toBeGreaterThanOrEqual(8);
    expect(sent.length).toBeLessThan(25);
  });

  it('sends held audio before a stalled TTS lets the lead fall below minLeadMs', () => {
    for (let i = 0; i < 12; i++) {
      pacer.push(chunk(40));
      vi.advanceTimersByTime(10);
    }
    const beforeStall = sent.reduce((n, s) => n + s.ms, 0);
    expect(beforeStall).toBeLessThan(12 * 40);
    // The TTS stalls for 2 s (waiting on the next sentence).
    for (let t = 0; t < 2000; t += 5) {
      vi.advanceTimersByTime(5);
      const lead = leadAt(Date.now());
      // Never starved while audio was held: the held audio went out with minLeadMs to spare.
      if (sent.reduce((n, s) => n + s.ms, 0) < 12 * 40)
        expect(lead).toBeGreaterThanOrEqual(LIMITS.minLeadMs - 5);
    }
    expect(sent.reduce((n, s) => n + s.ms, 0)).toBe(12 * 40);
  });

  it('keeps the client ahead whatever the TTS timing', () => {
    // Random chunk sizes and gaps, the TTS on average just faster than real time.
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let produced = 0;
    for (let i = 0; i < 300; i++) {
      const ms = 10 + Math.floor(rand() * 60);
      pacer.push(chunk(ms));
      produced += ms;
      vi.advanceTimersByTime(Math.floor(rand() * ms * 1.6));
      // A client that has been sent everything produced so far never runs dry on the pacer's
      // account: its lead is either at least minLeadMs or nothing is held.
      const sentMs = sent.reduce((n, s) => n + s.ms, 0);
      if (sentMs < produced) expect(leadAt(Date.now())).toBeGreaterThanOrEqual(LIMITS.minLeadMs - 70);
    }
    pacer.flush();
    expect(sent.reduce((n, s) => n + s.ms, 0)).toBe(produced);
    expect(sent.length).toBeLessThan(300);
  });

  it('drops held audio on stop, and no timer fires after it', () => {
    for (let i = 0; i < 12; i++) {
      pacer.push(chunk(40));
      vi.advanceTimersByTime(10);
    }
    const before = sent.length;
    const sentMs = sent.reduce((n, s) => n + s.ms, 0);
    expect(sentMs).toBeLessThan(12 * 40);
    pacer.stop();
    vi.advanceTimersByTime(5000);
    expect(sent.length).toBe(before);
    expect(vi.getTimerCount()).toBe(0);
  });
});
