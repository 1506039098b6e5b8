/** The gateway's V8 heap setting takes effect in a running process, and holds the heap nearer its live size. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { setHeapGrowingPercent } from '../../../src/util/v8-heap.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);

/**
 * Peak V8 heap (MiB) of a fresh process that keeps a fixed live set and churns objects that live
 * long enough to be promoted, after `setHeapGrowingPercent(percent)`. The sizes make the old
 * generation outgrow its first limit, so full GCs, and their growing factor, decide the peak.
 */
async function peakHeapMiB(percent: number): Promise<number> {
  const url = pathToFileURL(join(ROOT, 'src/util/v8-heap.ts')).href;
  const script = `
    import { getHeapStatistics } from 'node:v8';
    const { setHeapGrowingPercent } = await import(${JSON.stringify(url)});
    setHeapGrowingPercent(${percent});
    const live = [];
    for (let i = 0; i < 300; i++) live.push(Array.from({ length: 10_000 }, (_, x) => ({ x })));
    globalThis.gc();
    const window = [];
    let peak = 0;
    for (let r = 0; r < 2_000; r++) {
      window.push(Array.from({ length: 2_000 }, (_, x) => ({ x })));
      if (window.length > 200) window.shift();
      peak = Math.max(peak, getHeapStatistics().total_heap_size);
    }
    console.log(peak / 2 ** 20);
  `;
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: ROOT },
  );
  return Number(stdout.trim().split('\n').at(-1));
}

describe('setHeapGrowingPercent', () => {
  it('refuses what is not a whole, non-negative percent', () => {
    expect(() => setHeapGrowingPercent(-1)).toThrow(RangeError);
    expect(() => setHeapGrowingPercent(2.5)).toThrow(RangeError);
  });

  it('makes V8 collect before the heap grows far past its live size', async () => {
    // One after the other: two heavy processes at once on two cores would slow both GCs alike.
    const ownFactor = await peakHeapMiB(0);
    const tight = await peakHeapMiB(10);
    expect(tight).toBeLessThan(ownFactor * 0.85);
  }, 60_000);
});
