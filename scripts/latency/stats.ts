/** Percentile summaries shared by the latency benchmark's phases. */

/** Summary of one series: linear-interpolated percentiles (p50, p95) and the maximum. */
export interface Stats {
  n: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

/** p50, p95 and max of `xs`, to 0.1 ms. */
export function stats(xs: number[]): Stats {
  if (xs.length === 0) return { n: 0, p50: null, p95: null, max: null };
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => {
    const i = (s.length - 1) * p;
    const lo = Math.floor(i);
    const hi = Math.ceil(i);
    return s[lo]! + (s[hi]! - s[lo]!) * (i - lo);
  };
  const r = (v: number) => Math.round(v * 10) / 10;
  return { n: s.length, p50: r(q(0.5)), p95: r(q(0.95)), max: r(s[s.length - 1]!) };
}

/** A figure for a table, or a dash when there is none. */
export const fmt = (v: number | null): string => (v === null ? '—' : v.toFixed(1));
