/**
 * How far V8 lets the old generation grow past what the last full GC left alive. By default V8
 * picks a factor between 1.1 and 4 from how fast its GCs run, and a gateway that keeps audio for
 * seconds and conversations for minutes then holds ever more heap: in a 10-minute soak at 100
 * sessions its RSS rose 28 % from the first minute. A fixed factor keeps the held heap near the
 * live one, for a few more full GCs (README, Capacity).
 */
import { setFlagsFromString } from 'node:v8';

/**
 * Sets V8's old-generation growing factor to 1 + percent / 100 from now on (V8 reads the flag at
 * each full GC, and Node leaves flags writable after start). 0 leaves V8's own heuristics, and any
 * `--heap-growing-percent` the process was started with, in place.
 */
export function setHeapGrowingPercent(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0) throw new RangeError(`heap growing percent: ${percent}`);
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
