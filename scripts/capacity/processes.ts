/**
 * The processes of the capacity benchmarks: the provider emulators and the gateway, each a child
 * of the benchmark, so the CPU and memory the benchmark reports are the gateway's alone. The
 * gateway is the built product (`dist/src/main.js`) in cloud mode, pointed at the emulators.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** A child that does not come up in this time is broken (the emulators warm espeak-ng: about 1 s). */
const START_TIMEOUT_MS = 30_000;
/** Lines of a child's stderr kept to explain a failure. */
const STDERR_LINES_KEPT = 20;
/** Any id: the Cartesia emulator speaks every voice with espeak-ng. */
const BENCH_VOICE_ID = '00000000-0000-4000-8000-000000000000';

/** The emulators' base URLs, by provider. */
export interface EmulatorUrls {
  deepgram: string;
  groq: string;
  cerebras: string;
  anthropic: string;
  cartesia: string;
}

/** A running child: its pid, the tail of its stderr, and how to stop it. */
export interface Child {
  pid: number;
  stderrTail: () => string[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop: (graceMs?: number) => Promise<void>;
}

function track(child: ChildProcess): Child {
  const tail: string[] = [];
  let partial = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    const lines = (partial + s).split('\n');
    partial = lines.pop() ?? '';
    tail.push(...lines);
    if (tail.length > STDERR_LINES_KEPT) tail.splice(0, tail.length - STDERR_LINES_KEPT);
  });
  const exited = once(child, 'exit');
  return {
    pid: child.pid!,
    stderrTail: () => [...tail],
    stop: async (graceMs = 5_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** PEM files of a certificate the emulators serve TLS with. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** Starts the emulators' process (over TLS with `tls`); resolves with their URLs once they listen. */
export async function startEmulators(tls?: TlsFiles): Promise<Child & { urls: EmulatorUrls }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/capacity/emulators-child.ts'], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: tls
      ? { ...process.env, EMULATOR_TLS_CERT_FILE: tls.certFile, EMULATOR_TLS_KEY_FILE: tls.keyFile }
      : process.env,
  });
  const c = track(child);
  const urls = await new Promise<EmulatorUrls>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('emulators did not start')), START_TIMEOUT_MS);
    let buf = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      buf += s;
      const line = buf.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as EmulatorUrls);
    });
    child.once('exit', (code) =>
      reject(new Error(`emulators exited (${code}): ${c.stderrTail().join('\n')}`)),
    );
  });
  return { ...c, urls };
}

/** A free loopback port (the gateway logs its URL only at `info`, which the benchmark turns down). */
async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The gateway's GCs since the probe's last reset, from `v8.GCProfiler`. */
export interface GcSummary {
  /** Length of the window. */
  seconds: number;
  scavenges: number;
  /** Mark-compacts: the only GCs that free what scavenges promoted. */
  fullGcs: number;
  /** Time in GC, all kinds; null on a Node whose GC profile format the probe does not know. */
  ms: number | null;
  /** How much old space (with large objects) grew across the scavenges, in MiB. */
  promotedMiB: number;
}

/** The gateway child's probe (scripts/capacity/gateway-probe.mjs), over IPC. */
export interface Probe {
  resetEventLoopDelay(): Promise<void>;
  /** Since the last reset: the delay's percentiles (ms), the loop's busy share (0 to 1) and its GCs. */
  eventLoopDelay(): Promise<{ p50: number; p99: number; max: number; utilization: number; gc: GcSummary }>;
  activeHandles(): Promise<Record<string, number>>;
  memory(): Promise<GatewayMemory>;
  /** Writes a heap snapshot of the gateway to `path`; resolves with the file written. */
  heapSnapshot(path: string): Promise<string>;
}

/** What the gateway child runs with. */
export interface GatewayOptions {
  urls: EmulatorUrls;
  logLevel: string;
  /** Extra `node` flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  /** Copy the gateway's log (stderr) to this file. */
  logFile?: string;
  /** More gateway settings (environment variables). */
  env?: Record<string, string>;
}

/** Starts the built gateway in cloud mode on the emulators; resolves once /healthz answers. */
export async function startGateway(opts: GatewayOptions): Promise<Child & { url: string; probe: Probe }> {
  const port = await freePort();
  const { urls } = opts;
  const key = 'bench-not-a-real-key';
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: opts.logLevel,
    GATEWAY_PROVIDERS: 'cloud',
    DEEPGRAM_API_KEY: key,
    DEEPGRAM_BASE_URL: urls.deepgram,
    GROQ_API_KEY: key,
    GROQ_BASE_URL: urls.groq,
    CEREBRAS_API_KEY: key,
    CEREBRAS_BASE_URL: urls.cerebras,
    ANTHROPIC_API_KEY: key,
    ANTHROPIC_BASE_URL: urls.anthropic,
    CARTESIA_API_KEY: key,
    // http:// (plain TCP, although the SDK asks for wss://) or, with --provider-tls, https://.
    CARTESIA_BASE_URL: urls.cartesia,
    CARTESIA_VOICE: BENCH_VOICE_ID,
    // The benchmarks find where latency degrades, so the load guard that would refuse sessions
    // there is off unless a run sets it (`--gateway-env MAX_EVENT_LOOP_UTILIZATION=0.8`).
    MAX_EVENT_LOOP_UTILIZATION: '0',
    ...opts.env,
  };
  const child = spawn(
    process.execPath,
    [...(opts.nodeFlags ?? []), '--import', './scripts/capacity/gateway-probe.mjs', 'dist/src/main.js'],
    { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
  );
  const c = track(child);
  if (opts.logFile) {
    // A fresh checkout has no reports/ folder, and a stream that cannot open would crash the run.
    mkdirSync(dirname(opts.logFile), { recursive: true });
    child.stderr!.pipe(createWriteStream(opts.logFile));
  }
  const url = `ws://127.0.0.1:${port}/v1/realtime`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited: ${c.stderrTail().join('\n')}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`gateway did not start: ${c.stderrTail().join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  let nextId = 1;
  const ask = <T>(probe: string, extra: object = {}, timeoutMs = 10_000): Promise<T> => {
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        reject(new Error(`gateway probe '${probe}' did not answer`));
      }, timeoutMs);
      const onMessage = (m: unknown) => {
        const msg = m as { id?: number } & T;
        if (msg?.id !== id) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(msg);
      };
      child.on('message', onMessage);
      child.send({ ...extra, probe, id });
    });
  };
  return {
    ...c,
    url,
    probe: {
      resetEventLoopDelay: async () => void (await ask('eld-reset')),
      eventLoopDelay: () => ask('eld'),
      activeHandles: async () => (await ask<{ byType: Record<string, number> }>('handles')).byType,
      memory: () => ask<GatewayMemory>('memory'),
      // Serializing a few hundred MiB of heap on a busy machine takes tens of seconds.
      heapSnapshot: async (path) => {
        const r = await ask<{ file?: string; error?: string }>('snapshot', { path }, 120_000);
        if (r.error !== undefined || r.file === undefined)
          throw new Error(`heap snapshot failed: ${r.error}`);
        return r.file;
      },
    },
  };
}

/** The gateway process's own memory (not its children's), from its probe. */
export interface GatewayMemory {
  /** Taken after a full GC (the gateway runs with --expose-gc). */
  afterGc: boolean;
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
  arrayBuffersMiB: number;
  rssMiB: number;
  /** Live bytes and held pages of each V8 heap space. */
  spaces: Record<string, { usedMiB: number; sizeMiB: number }>;
}

/** Builds dist/ (the gateway child runs the built product, as `npm start` does). */
export async function buildGateway(): Promise<void> {
  const child = spawn(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the build failed (tsc exit ${code})`);
}
