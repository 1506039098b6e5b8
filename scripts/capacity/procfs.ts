/**
 * CPU time and resident memory of any process, read from Linux's /proc, so the gateway and the
 * emulators are measured from outside with no instrumentation in them. A process counts with its
 * descendants: the gateway's Silero model runs in a child process, and its work is the gateway's.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (100 on every common Linux build). */
const CLOCK_TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * User plus system CPU time so far of a process and its live descendants, in ms (resolution one
 * clock tick, 10 ms); `alone` leaves the descendants out. A descendant that exits takes its time
 * out of the sum.
 */
export function cpuMsOf(pid: number, opts: { alone?: boolean } = {}): number {
  return (opts.alone ? [pid] : treeOf(pid)).reduce((sum, p) => {
    const stat = readProc(p, 'stat');
    return stat ? sum + parseCpuMs(stat, CLOCK_TICKS_PER_S) : sum;
  }, 0);
}

/** `pid` and its live descendants. */
export function treeOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProc(Number(name), 'stat');
    if (!stat) continue;
    // After the name: state, then the parent's pid.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/** A /proc file of a process, or '' when the process is gone (descendants come and go). */
function readProc(pid: number, file: 'stat' | 'status'): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

/** utime + stime of a /proc/<pid>/stat line, in ms. The command name may hold spaces and parentheses. */
export function parseCpuMs(stat: string, ticksPerS: number): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3, utime field 14 and stime field 15 (1-based, proc(5)).
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime))
    throw new Error('unexpected /proc/<pid>/stat format');
  return ((utime + stime) * 1000) / ticksPerS;
}

/** Resident set size of a process and its live descendants, in bytes. */
export function rssBytesOf(pid: number): number {
  return treeOf(pid).reduce((sum, p) => {
    const status = readProc(p, 'status');
    return status ? sum + parseRssBytes(status) : sum;
  }, 0);
}

/** VmRSS of a /proc/<pid>/status text, in bytes. */
export function parseRssBytes(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error('no VmRSS in /proc/<pid>/status');
  return Number(m[1]) * 1024;
}
