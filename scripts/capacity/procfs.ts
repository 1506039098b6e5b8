/**
 * CPU time and resident memory of any process, read from Linux's /proc, so the gateway and the
 * emulators are measured from outside with no instrumentation in them.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (100 on every common Linux build). */
const CLOCK_TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User plus system CPU time of a process so far, in ms (resolution one clock tick, 10 ms). */
export function cpuMsOf(pid: number): number {
  return parseCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'), CLOCK_TICKS_PER_S);
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

/** Resident set size of a process, in bytes. */
export function rssBytesOf(pid: number): number {
  return parseRssBytes(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

/** VmRSS of a /proc/<pid>/status text, in bytes. */
export function parseRssBytes(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error('no VmRSS in /proc/<pid>/status');
  return Number(m[1]) * 1024;
}
