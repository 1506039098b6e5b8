/**
 * The three processes of a capacity or soak run, started together: the emulators and the gateway as
 * children, the load in this process, and CPU snapshots of all three.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LoadGenerator } from './load.js';
import type { WireFormat } from './load.js';
import { makeDevCert } from '../dev-cert.js';
import { buildGateway, startEmulators, startGateway } from './processes.js';
import type { TlsFiles } from './processes.js';
import { cpuMsOf, rssBytesOf } from './procfs.js';

/** Options shared by the capacity and soak runs. */
export interface StackOptions {
  format: WireFormat;
  build: boolean;
  logLevel: string;
  nodeFlags: string[];
  /** Copy the gateway's log to this file. */
  gatewayLog?: string;
  /** More gateway settings (environment variables). */
  gatewayEnv?: Record<string, string>;
  turnPeriodMs: [number, number];
  /** Mean call length in ms: sessions hang up and are replaced (LoadOptions.callMs); none: they last. */
  callMs?: number;
  /**
   * The emulators serve TLS with a throwaway certificate the gateway trusts (NODE_EXTRA_CA_CERTS),
   * so its provider links cost what they do in production.
   */
  providerTls?: boolean;
}

/** CPU time of the three processes at one moment. */
export interface CpuSnapshot {
  at: number;
  gatewayMs: number;
  emulatorsMs: number;
  loadMs: number;
}

/** CPU used between two snapshots, as cores (1 = one core busy all the time). */
export interface CpuSplit {
  gatewayCores: number;
  emulatorsCores: number;
  loadCores: number;
}

/** A certificate for 127.0.0.1 in a new temporary folder (`dir`), for emulators over TLS. */
async function writeThrowawayCert(): Promise<TlsFiles & { dir: string }> {
  const { cert, key } = await makeDevCert();
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-tls-'));
  const files = { dir, certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
  writeFileSync(files.certFile, cert);
  writeFileSync(files.keyFile, key, { mode: 0o600 });
  return files;
}

/** Builds the gateway (unless told not to) and starts the emulators, the gateway and the load. */
export async function startStack(opts: StackOptions) {
  if (opts.build) await buildGateway();
  const tls = opts.providerTls ? await writeThrowawayCert() : undefined;
  let emulators;
  let gateway;
  try {
    emulators = await startEmulators(tls);
    gateway = await startGateway({
      urls: emulators.urls,
      logLevel: opts.logLevel,
      nodeFlags: opts.nodeFlags,
      logFile: opts.gatewayLog,
      env: { ...(tls ? { NODE_EXTRA_CA_CERTS: tls.certFile } : {}), ...opts.gatewayEnv },
    });
  } catch (err) {
    await emulators?.stop();
    throw err;
  } finally {
    // Both children read the certificate as they start, so the key need not outlive their start.
    if (tls) rmSync(tls.dir, { recursive: true, force: true });
  }
  const load = new LoadGenerator({
    url: gateway.url,
    format: opts.format,
    turnPeriodMs: opts.turnPeriodMs,
    callMs: opts.callMs,
  });
  const cpu = (): CpuSnapshot => ({
    at: performance.now(),
    gatewayMs: cpuMsOf(gateway.pid),
    emulatorsMs: cpuMsOf(emulators.pid),
    loadMs: ((u) => (u.user + u.system) / 1000)(process.cpuUsage()),
  });
  return {
    emulators,
    gateway,
    load,
    cpu,
    gatewayRssBytes: () => rssBytesOf(gateway.pid),
    emulatorsRssBytes: () => rssBytesOf(emulators.pid),
    stop: async () => {
      await load.closeAll();
      await gateway.stop();
      await emulators.stop();
    },
  };
}

/** Cores used by each process between `a` and `b`. */
export function cpuSplit(a: CpuSnapshot, b: CpuSnapshot): CpuSplit {
  const wall = b.at - a.at;
  const r = (ms: number) => Math.round((ms / wall) * 100) / 100;
  return {
    gatewayCores: r(b.gatewayMs - a.gatewayMs),
    emulatorsCores: r(b.emulatorsMs - a.emulatorsMs),
    loadCores: r(b.loadMs - a.loadMs),
  };
}

/** 1, 5 and 15 minute load averages, rounded. */
export function loadAverage(): number[] {
  return os.loadavg().map((v) => Math.round(v * 100) / 100);
}

/** The machine, for the report. */
export function machine() {
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}

/** Command-line flags: `--name value` pairs and bare `--flag`s. */
export class Args {
  private readonly argv: string[];
  /** Every flag the script has asked about: anything else on the command line is a mistake. */
  private readonly known = new Set<string>();
  /** The flags read with a value: the token after each is theirs. */
  private readonly valued = new Set<string>();
  constructor(argv: string[] = process.argv.slice(2)) {
    this.argv = argv;
  }
  /**
   * The command line of a script with this usage: `--help` (or `-h`) prints it and exits before
   * any flag is read, so help is given even when another flag is wrong.
   */
  static parse(usage: string): Args {
    const args = new Args();
    if (args.argv.includes('--help') || args.argv.includes('-h')) {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    return args;
  }
  has(name: string): boolean {
    this.known.add(name);
    return this.argv.includes(name);
  }
  string(name: string, fallback: string): string {
    this.known.add(name);
    this.valued.add(name);
    const at = this.argv.indexOf(name);
    if (at < 0) return fallback;
    const v = this.argv[at + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
    return v;
  }
  /** A positive number; `orZero`: 0 is allowed too (it means "off" to the flag). */
  number(name: string, fallback: number, opts: { orZero?: boolean } = {}): number {
    const v = Number(this.string(name, String(fallback)));
    if (!(v > 0 || (opts.orZero && v === 0)))
      throw new Error(`${name} needs a ${opts.orZero ? 'positive number or 0' : 'positive number'}`);
    return v;
  }
  /** `--name K=V,K=V` as a record (gateway settings for one run). */
  env(name: string): Record<string, string> {
    return Object.fromEntries(
      this.string(name, '')
        .split(',')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
  }
  /** `--name 'flag=v flag'`: Node flags written without their dashes, so they do not read as this script's own. */
  nodeFlags(name: string): string[] {
    return this.string(name, '')
      .split(' ')
      .filter(Boolean)
      .map((f) => `--${f}`);
  }
  /**
   * Call once every flag has been read, before the run starts: a flag the script does not know, or
   * a value no flag takes, stops it, since a benchmark that ignored a misspelt flag would run for
   * minutes with the wrong settings.
   */
  finish(usage: string): void {
    const unknown = this.unknown();
    if (unknown.length === 0) return;
    process.stderr.write(`not understood: ${unknown.join(', ')}\n${usage}\n`);
    process.exit(2);
  }
  /** The flags given that the script has not asked about, and values no flag read takes. */
  unknown(): string[] {
    return this.argv.filter((a, i) => {
      if (a.startsWith('--')) return !this.known.has(a);
      const before = this.argv[i - 1] ?? '';
      // After an unknown flag it is that flag's value, already named with it.
      return !this.valued.has(before) && !(before.startsWith('--') && !this.known.has(before));
    });
  }
  format(): WireFormat {
    const f = this.string('--format', 'pcmu');
    if (f !== 'pcmu' && f !== 'pcm') throw new Error('--format is pcmu (G.711 μ-law 8 kHz) or pcm (24 kHz)');
    return f;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Writes a benchmark's report file (JSON for an object, as is for text), making its folder first. */
export function writeReport(file: string, report: object | string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, typeof report === 'string' ? report : `${JSON.stringify(report, null, 2)}\n`);
}
