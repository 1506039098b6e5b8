/**
 * The conformance kit against the gateway in offline mode (real adapters on the provider
 * emulators at their default latency profile, Silero VAD, TLS with a self-signed certificate):
 * every scenario passes in both dialects, the limit-driven error codes run against small limits,
 * the codes only a VAD-less or short-lived gateway sends run against one, and the CLI itself
 * prints the table, writes the JSON report and exits non-zero when something fails.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDevCert } from '../../scripts/dev-cert.js';
import { DEFAULT_LIMITS, runConformance } from '../../scripts/conformance/index.js';
import type { KitOptions, Limits, Report } from '../../scripts/conformance/index.js';
import { startGateway, startProviderGateway } from '../helpers/gateway.js';
import type { ProviderGateway, TestGateway } from '../helpers/gateway.js';

const KEY = 'conformance-key';
/** Small limits, so the limit-driven codes cost little; the kit is told the same values. */
const LIMITS: Limits = {
  ...DEFAULT_LIMITS,
  MAX_INPUT_AUDIO_BUFFER_MS: 5_000,
  MAX_CONVERSATION_ITEMS: 50,
  MAX_CONCURRENT_RESPONSES: 3,
  MAX_MESSAGE_BYTES: 256 * 1024,
  LLM_CONTEXT_TOKENS: 8_192,
};
const limitEnv = Object.fromEntries(Object.entries(LIMITS).map(([k, v]) => [k, String(v)]));
/** Scenarios that run only against a gateway without VAD or with a short session limit. */
const SPECIAL = ['error.turn_detection_unavailable', 'error.session_expired'];
/** Scenarios whose trigger exists only in GA. */
const GA_ONLY = [
  'error.cannot_change_session_type',
  'error.unsupported_content_type.input-image',
  'error.unsupported_event.session-close',
  'error.context_length_exceeded',
];
const STEP_TIMEOUT_MS = 15_000;
const RUN_TIMEOUT_MS = 90_000;

let gw: ProviderGateway;
let dir: string;
let ca: Buffer;
const reports: Partial<Record<'ga' | 'beta', Report>> = {};

function options(url: string, dialect: 'ga' | 'beta', extra: Partial<KitOptions> = {}): KitOptions {
  return {
    endpoint: { url, key: KEY, dialect, model: 'gpt-realtime', ca, stepTimeoutMs: STEP_TIMEOUT_MS },
    profile: 'gateway',
    limits: LIMITS,
    vad: true,
    only: [],
    skip: [],
    concurrency: 8,
    ...extra,
  };
}

const failures = (r: Report) =>
  r.scenarios.filter((s) => s.status === 'fail').map((s) => `${s.name}: ${s.failures.join('; ')}`);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'conformance-'));
  const pems = await makeDevCert();
  ca = Buffer.from(pems.cert);
  writeFileSync(join(dir, 'cert.pem'), pems.cert);
  writeFileSync(join(dir, 'key.pem'), pems.key);
  gw = await startProviderGateway({
    // The default latency profile: a barge-in needs an answer that is still playing.
    fast: false,
    env: {
      ...limitEnv,
      TLS_CERT_FILE: join(dir, 'cert.pem'),
      TLS_KEY_FILE: join(dir, 'key.pem'),
      GATEWAY_API_KEYS: KEY,
      GATEWAY_ALLOWED_ORIGINS: 'https://app.example',
    },
  });
  // Both dialects at once: the real-time audio scenarios dominate, and they overlap.
  const [ga, beta] = await Promise.all([
    runConformance(options(gw.url, 'ga')),
    runConformance(options(gw.url, 'beta')),
  ]);
  reports.ga = ga;
  reports.beta = beta;
}, RUN_TIMEOUT_MS);

afterAll(() => gw?.close());

describe('conformance kit against the gateway (offline mode, TLS)', () => {
  it.each(['ga', 'beta'] as const)('%s: every scenario passes and every rule holds', (dialect) => {
    const r = reports[dialect]!;
    expect(failures(r)).toEqual([]);
    const skipped = r.scenarios.filter((s) => s.status === 'skip').map((s) => s.name);
    expect(skipped.sort()).toEqual((dialect === 'ga' ? [...SPECIAL] : [...SPECIAL, ...GA_ONLY]).sort());
    expect(r.summary.rulesFailed).toBe(0);
    // Every rule was exercised somewhere: none is vacuous.
    expect(r.rules.filter((x) => x.passed === 0).map((x) => x.name)).toEqual(
      dialect === 'beta' ? ['conversation.item.done after added (GA)'] : [],
    );
  });

  it('turn_detection_unavailable and session_expired on a gateway without VAD and a short session limit', async () => {
    let plain: TestGateway | undefined;
    try {
      plain = await startGateway({ env: { MAX_SESSION_DURATION_MS: '1500' } });
      const r = await runConformance(
        options(plain.url, 'ga', {
          only: SPECIAL,
          vad: false,
          limits: { ...LIMITS, MAX_SESSION_DURATION_MS: 1500 },
        }),
      );
      expect(failures(r)).toEqual([]);
      expect(r.scenarios.map((s) => [s.name, s.status])).toEqual(SPECIAL.map((n) => [n, 'pass']));
    } finally {
      await plain?.close();
    }
  });

  it('the CLI prints the tables, writes the JSON report, and exits 1 when a scenario fails', async () => {
    const cli = (args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/conformance.ts', ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.once('exit', (code) => resolve({ code, out }));
      });
    const json = join(dir, 'report.json');
    const common = ['--url', gw.url, '--ca', join(dir, 'cert.pem'), '--only', 'text.turn,error.invalid_json'];
    const [ok, bad] = await Promise.all([
      cli([...common, '--key', KEY, '--json', json]),
      // A wrong key: every connection is refused, so every scenario fails.
      cli([...common, '--key', 'wrong-key']),
    ]);
    expect(ok.out).toMatch(/\| text\.turn +\| any +\| PASS/);
    expect(ok.out).toContain('2 passed, 0 failed, 0 skipped of 2 scenarios');
    expect(ok.code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(report).toMatchObject({
      dialect: 'ga',
      profile: 'gateway',
      summary: { scenarios: 2, passed: 2, failed: 0 },
    });
    expect(report.scenarios.map((s) => s.name)).toEqual(['text.turn', 'error.invalid_json']);
    expect(report.rules.find((x) => x.name === 'response.done last for its response')).toMatchObject({
      passed: 1,
      failed: 0,
    });
    expect(bad.out).toContain('upgrade refused with HTTP 401');
    expect(bad.code).toBe(1);
  }, 30_000);
});
