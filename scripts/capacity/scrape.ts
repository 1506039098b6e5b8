/**
 * A histogram from the gateway's `/metrics`, read twice and differenced: what a step added, and
 * its quantiles estimated from the buckets as Prometheus' `histogram_quantile` does (linear inside
 * the bucket the rank falls in), so the figures match what an operator's dashboard would show.
 */

/** One histogram series: cumulative counts by upper bound (`Infinity` for `+Inf`), and its sum. */
export interface Buckets {
  counts: Map<number, number>;
  sum: number;
}

/**
 * Histogram `name` in exposition text, summed over every series that has these labels (any
 * others, such as a sample rate, are summed over).
 */
export function histogramOf(text: string, name: string, labels: Record<string, string> = {}): Buckets {
  const counts = new Map<number, number>();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const [, metric, labelText = '', value] = m;
    const got = Object.fromEntries(
      [...labelText.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k!, v!] as const),
    );
    if (!Object.entries(labels).every(([k, v]) => got[k] === v)) continue;
    const { le } = got;
    if (metric === `${name}_bucket` && le !== undefined) {
      const bound = le === '+Inf' ? Infinity : Number(le);
      counts.set(bound, (counts.get(bound) ?? 0) + Number(value));
    } else if (metric === `${name}_sum`) sum += Number(value);
  }
  return { counts, sum };
}

/** What was observed between two reads of the same series. */
export function bucketsBetween(before: Buckets, after: Buckets): Buckets {
  const counts = new Map<number, number>();
  for (const [le, n] of after.counts) counts.set(le, n - (before.counts.get(le) ?? 0));
  return { counts, sum: after.sum - before.sum };
}

/** Observations in a series. */
export function countOf(b: Buckets): number {
  return b.counts.get(Infinity) ?? 0;
}

/**
 * The q-quantile (0 to 1), interpolated inside its bucket; null with no observations. A rank in
 * the `+Inf` bucket gives the highest finite bound (the most the buckets can tell).
 */
export function bucketQuantile(b: Buckets, q: number): number | null {
  const bounds = [...b.counts.keys()].sort((x, y) => x - y);
  const total = countOf(b);
  if (total === 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const le of bounds) {
    const n = b.counts.get(le)!;
    if (n >= rank) {
      if (le === Infinity) return lower;
      return n === below ? le : lower + ((le - lower) * (rank - below)) / (n - below);
    }
    lower = le;
    below = n;
  }
  return lower;
}
