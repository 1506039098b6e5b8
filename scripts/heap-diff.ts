/**
 * Compares two V8 heap snapshots by constructor: `npx tsx scripts/heap-diff.ts a.heapsnapshot
 * b.heapsnapshot [--top 25]`. Prints, per constructor (or node type for strings, arrays, code),
 * the count and self size in each and the change, largest growth first: what grew between the two
 * moments of a soak (`npm run bench:soak -- --heap-snapshots DIR`). Self sizes, not retained sizes:
 * a conversation that keeps more items shows as more `Object`, strings and arrays, with the counts
 * of the gateway's own classes beside them.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

type Totals = Map<string, { count: number; bytes: number }>;

function totals(file: string): Totals {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const out: Totals = new Map();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + typeAt]!]!;
    // Objects and closures by their constructor's name; everything else by its kind.
    const key =
      type === 'object' || type === 'closure' || type === 'native'
        ? `${type === 'object' ? '' : `${type} `}${s.strings[s.nodes[i + nameAt]!]}`
        : `(${type})`;
    const t = out.get(key) ?? { count: 0, bytes: 0 };
    t.count++;
    t.bytes += s.nodes[i + sizeAt]!;
    out.set(key, t);
  }
  return out;
}

const [a, b] = process.argv.slice(2).filter((x) => !x.startsWith('--') && !/^\d+$/.test(x));
if (!a || !b) throw new Error('usage: heap-diff.ts a.heapsnapshot b.heapsnapshot [--top N]');
const top = Number(process.argv[process.argv.indexOf('--top') + 1]) || 25;
const before = totals(a);
const after = totals(b);
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
const sum = (t: Totals) => [...t.values()].reduce((n, v) => n + v.bytes, 0);
console.log(`total self size: ${kib(sum(before))} -> ${kib(sum(after))}`);
const rows = [...new Set([...before.keys(), ...after.keys()])].map((k) => {
  const x = before.get(k) ?? { count: 0, bytes: 0 };
  const y = after.get(k) ?? { count: 0, bytes: 0 };
  return { k, x, y, d: y.bytes - x.bytes };
});
rows.sort((p, q) => q.d - p.d);
for (const r of rows.slice(0, top))
  console.log(
    `${r.k.slice(0, 48).padEnd(48)} ${String(r.x.count).padStart(8)} -> ${String(r.y.count).padEnd(8)} ` +
      `${kib(r.x.bytes).padStart(10)} -> ${kib(r.y.bytes).padEnd(10)} ${r.d >= 0 ? '+' : ''}${kib(r.d)}`,
  );
