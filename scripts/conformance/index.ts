/** The conformance kit: every scenario, in the order they start, and a run over them. */
import { runScenarios } from './runner.js';
import type { KitOptions, Scenario, ScenarioResult } from './runner.js';
import { buildReport } from './report.js';
import type { Report } from './report.js';
import { AUDIO_SCENARIOS } from './scenarios/audio.js';
import { ERROR_SCENARIOS } from './scenarios/errors.js';
import { HANDSHAKE_SCENARIOS } from './scenarios/handshake.js';
import { RESPONSE_SCENARIOS } from './scenarios/responses.js';
import { SESSION_SCENARIOS } from './scenarios/session.js';
import { TRUNCATION_SCENARIOS } from './scenarios/truncation.js';

/** Every scenario. The real-time audio ones start first: they are the longest. */
export const SCENARIOS: Scenario[] = [
  ...AUDIO_SCENARIOS,
  ...SESSION_SCENARIOS,
  ...RESPONSE_SCENARIOS,
  ...ERROR_SCENARIOS,
  ...TRUNCATION_SCENARIOS,
  ...HANDSHAKE_SCENARIOS,
];

/** Runs the selected scenarios and builds the report. */
export async function runConformance(
  options: KitOptions,
  onResult?: (r: ScenarioResult) => void,
): Promise<Report> {
  const started = new Date();
  const t0 = Date.now();
  const results = await runScenarios(SCENARIOS, options, onResult);
  return buildReport(options, results, started, Date.now() - t0);
}

export { DEFAULT_LIMITS } from './runner.js';
export type { KitOptions, Limits, Profile, ScenarioResult } from './runner.js';
export type { Report } from './report.js';
export { formatTables } from './report.js';
