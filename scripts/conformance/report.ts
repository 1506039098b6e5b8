/** The run's report: per-scenario and per-rule verdicts, as text tables and as JSON. */
import { RULES } from './rules.js';
import type { KitOptions, ScenarioResult } from './runner.js';

/** One rule's verdict across the run. */
export interface RuleSummary {
  name: string;
  description: string;
  /** Scenarios where the rule applied and held / was broken. */
  passed: number;
  failed: number;
  /** Scenarios it had nothing to judge in. */
  notApplicable: number;
  /** Scenarios that broke it. */
  failedIn: string[];
}

/** The JSON report (`--json FILE`). */
export interface Report {
  kit: 'realtime-gateway conformance';
  url: string;
  dialect: 'ga' | 'beta';
  profile: string;
  startedAt: string;
  durationMs: number;
  summary: { scenarios: number; passed: number; failed: number; skipped: number; rulesFailed: number };
  scenarios: ScenarioResult[];
  rules: RuleSummary[];
}

/** Builds the report of a run (the URL without its query, which may carry a key). */
export function buildReport(
  o: KitOptions,
  results: ScenarioResult[],
  started: Date,
  durationMs: number,
): Report {
  const url = new URL(o.endpoint.url);
  url.search = '';
  const rules = RULES.map((r): RuleSummary => {
    const verdicts = results.map((s) => [s.name, s.rules[r.name] ?? 'n/a'] as const);
    return {
      name: r.name,
      description: r.description,
      passed: verdicts.filter(([, v]) => v === 'pass').length,
      failed: verdicts.filter(([, v]) => v === 'fail').length,
      notApplicable: verdicts.filter(([, v]) => v === 'n/a').length,
      failedIn: verdicts.filter(([, v]) => v === 'fail').map(([n]) => n),
    };
  });
  return {
    kit: 'realtime-gateway conformance',
    url: url.toString(),
    dialect: o.endpoint.dialect,
    profile: o.profile,
    startedAt: started.toISOString(),
    durationMs,
    summary: {
      scenarios: results.length,
      passed: results.filter((r) => r.status === 'pass').length,
      failed: results.filter((r) => r.status === 'fail').length,
      skipped: results.filter((r) => r.status === 'skip').length,
      rulesFailed: rules.filter((r) => r.failed > 0).length,
    },
    scenarios: results,
    rules,
  };
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const MARK = { pass: 'PASS', fail: 'FAIL', skip: 'skip' } as const;

/** The two tables (scenarios, rules), failures listed under them. */
export function formatTables(report: Report): string {
  const scenarios = table(
    ['scenario', 'scope', 'result', 'ms', 'events', 'note'],
    report.scenarios.map((s) => [
      s.name,
      s.scope,
      MARK[s.status],
      String(s.durationMs),
      String(s.events),
      s.status === 'skip'
        ? (s.skipReason ?? '')
        : s.status === 'fail'
          ? (s.failures[0] ?? '').slice(0, 100)
          : '',
    ]),
  );
  const rules = table(
    ['ordering rule', 'result', 'held in', 'broken in', 'n/a'],
    report.rules.map((r) => [
      r.name,
      r.failed ? 'FAIL' : r.passed ? 'PASS' : 'n/a',
      String(r.passed),
      r.failed ? `${r.failed} (${r.failedIn.join(', ')})` : '0',
      String(r.notApplicable),
    ]),
  );
  const failures = report.scenarios
    .filter((s) => s.status === 'fail')
    .map((s) => `${s.name}:\n${s.failures.map((f) => `  - ${f}`).join('\n')}`);
  const s = report.summary;
  const summary =
    `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped of ${s.scenarios} scenarios; ` +
    `${report.rules.length - s.rulesFailed} of ${report.rules.length} rules held ` +
    `(${report.dialect}, profile ${report.profile}, ${(report.durationMs / 1000).toFixed(1)} s)`;
  return [scenarios, '', rules, ...(failures.length ? ['', 'Failures:', ...failures] : []), '', summary].join(
    '\n',
  );
}
