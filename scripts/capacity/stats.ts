/** Pure figures for the capacity and soak benchmarks: percentiles and per-step summaries. */

/** Linear interpolation between closest ranks (the same method as the other benchmarks). */
export function percentile(xs: readonly number[], p: number): number | null {
  if (xs.length === 0) return null;
  if (!(p >= 0 && p <= 1)) throw new RangeError('p must be within [0, 1]');
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * p;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return s[lo]! + (s[hi]! - s[lo]!) * (i - lo);
}

/** Rounded to one decimal, null kept. */
export function round1(v: number | null): number | null {
  return v === null ? null : Math.round(v * 10) / 10;
}

/** p50, p99 and max of a series, rounded to 0.1. */
export interface Summary {
  n: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** Summary of one series. */
export function summarize(xs: readonly number[]): Summary {
  return {
    n: xs.length,
    p50: round1(percentile(xs, 0.5)),
    p99: round1(percentile(xs, 0.99)),
    max: round1(xs.length ? Math.max(...xs) : null),
  };
}

/** A number for a table cell: one decimal, a dash for none. */
export function cell(v: number | null, digits = 1): string {
  return v === null ? '–' : v.toFixed(digits);
}

/** Relative change from `from` to `to` (0.05 is +5 %); null when `from` is not positive. */
export function relativeChange(from: number, to: number): number | null {
  return from > 0 ? (to - from) / from : null;
}
