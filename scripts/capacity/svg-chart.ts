/**
 * The capacity chart as hand-written SVG (no charting dependency): end of speech to first audio
 * p50 and p99 against concurrent sessions above, gateway CPU per session-second below.
 */

/** One step of the chart. */
export interface ChartPoint {
  sessions: number;
  p50Ms: number | null;
  p99Ms: number | null;
  cpuMsPerSessionS: number | null;
}

/** What the chart shows besides its points. */
export interface ChartOptions {
  title: string;
  /** Horizontal reference lines in the latency panel (e.g. baseline p99 + 50 ms). */
  latencyTarget?: { ms: number; label: string };
  cpuTarget?: { ms: number; label: string };
}

const WIDTH = 720;
const PANEL_HEIGHT = 190;
const LEFT = 64;
const RIGHT = 24;
const TOP = 40;
const GAP = 56;
const COLORS = { p50: '#2563eb', p99: '#dc2626', cpu: '#059669', target: '#6b7280', grid: '#e5e7eb' };

/** A round step for about `ticks` divisions of [0, max]. */
export function niceStep(max: number, ticks = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (v: number) => (Math.round(v * 10) / 10).toString();

/** The whole SVG document. */
export function renderCapacityChart(points: readonly ChartPoint[], opts: ChartOptions): string {
  const xs = points.map((p) => p.sessions);
  const xMax = Math.max(1, ...xs);
  const plotW = WIDTH - LEFT - RIGHT;
  const x = (n: number) => LEFT + (n / xMax) * plotW;
  const out: string[] = [];
  const height = TOP + 2 * PANEL_HEIGHT + GAP + 40;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(opts.title)}</text>`,
  );
  const panel = (
    top: number,
    label: string,
    series: { name: string; color: string; values: (number | null)[] }[],
    target?: { ms: number; label: string },
  ) => {
    const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
    const yMaxRaw = Math.max(1, ...all, target?.ms ?? 0) * 1.1;
    const step = niceStep(yMaxRaw);
    const yMax = Math.ceil(yMaxRaw / step) * step;
    const y = (v: number) => top + PANEL_HEIGHT - (v / yMax) * PANEL_HEIGHT;
    for (let v = 0; v <= yMax + step / 2; v += step) {
      out.push(
        `<line x1="${LEFT}" y1="${num(y(v))}" x2="${WIDTH - RIGHT}" y2="${num(y(v))}" stroke="${COLORS.grid}"/>`,
        `<text x="${LEFT - 6}" y="${num(y(v) + 4)}" text-anchor="end">${num(v)}</text>`,
      );
    }
    out.push(
      `<text transform="translate(16 ${top + PANEL_HEIGHT / 2}) rotate(-90)" text-anchor="middle">${esc(label)}</text>`,
      `<rect x="${LEFT}" y="${top}" width="${plotW}" height="${PANEL_HEIGHT}" fill="none" stroke="#9ca3af"/>`,
    );
    if (target) {
      out.push(
        `<line x1="${LEFT}" y1="${num(y(target.ms))}" x2="${WIDTH - RIGHT}" y2="${num(y(target.ms))}" stroke="${COLORS.target}" stroke-dasharray="6 4"/>`,
        `<text x="${WIDTH - RIGHT - 4}" y="${num(y(target.ms) - 4)}" text-anchor="end" fill="${COLORS.target}">${esc(target.label)}</text>`,
      );
    }
    series.forEach((s, k) => {
      const pts = points
        .map((p, i) => [p.sessions, s.values[i]] as const)
        .filter((pv): pv is readonly [number, number] => pv[1] !== null && pv[1] !== undefined);
      if (pts.length > 1)
        out.push(
          `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map(([n, v]) => `${num(x(n))},${num(y(v))}`).join(' ')}"/>`,
        );
      for (const [n, v] of pts)
        out.push(`<circle cx="${num(x(n))}" cy="${num(y(v))}" r="3" fill="${s.color}"/>`);
      out.push(
        `<rect x="${LEFT + 10 + k * 120}" y="${top + 8}" width="10" height="10" fill="${s.color}"/>`,
        `<text x="${LEFT + 24 + k * 120}" y="${top + 17}">${esc(s.name)}</text>`,
      );
    });
  };
  panel(
    TOP,
    'end of speech → first audio (ms)',
    [
      { name: 'p50', color: COLORS.p50, values: points.map((p) => p.p50Ms) },
      { name: 'p99', color: COLORS.p99, values: points.map((p) => p.p99Ms) },
    ],
    opts.latencyTarget,
  );
  const cpuTop = TOP + PANEL_HEIGHT + GAP;
  panel(
    cpuTop,
    'gateway CPU ms / session-s',
    [{ name: 'gateway CPU', color: COLORS.cpu, values: points.map((p) => p.cpuMsPerSessionS) }],
    opts.cpuTarget,
  );
  for (const top of [TOP, cpuTop])
    for (const n of xs)
      out.push(`<text x="${num(x(n))}" y="${top + PANEL_HEIGHT + 16}" text-anchor="middle">${n}</text>`);
  out.push(
    `<text x="${LEFT + plotW / 2}" y="${cpuTop + PANEL_HEIGHT + 34}" text-anchor="middle">concurrent sessions</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
