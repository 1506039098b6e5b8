/**
 * Where a step's latency went inside the gateway: the `turn latency` lines it logs at info level
 * (one per server-VAD turn, src/session/turn-latency.ts), summarized per stage over a window of
 * wall-clock time. The client's figure includes the emulators' and the load generator's own
 * delays on the shared cores; these say which of the gateway's stages a tail grew in.
 */
import type { TurnLatency } from '../../src/session/turn-latency.js';
import { summarize } from './stats.js';
import type { Summary } from './stats.js';

/** A turn's figures in ms: the total, then each stage. */
export type StageField = Exclude<keyof TurnLatency, 'speculative'>;
/** The stages of a turn, total first, as the gateway's `turn latency` log line names them. */
export const STAGE_FIELDS: readonly StageField[] = [
  'endOfSpeechToFirstAudioMs',
  'vadWaitMs',
  'sttFinalMs',
  'llmFirstTokenMs',
  'sentenceWaitMs',
  'ttsFirstAudioMs',
  'gatewayOverheadMs',
];

/** Per stage, the turns logged in [fromMs, toMs) (epoch ms) of a gateway log (pino JSON lines). */
export function stageLatencies(log: string, fromMs: number, toMs: number): Record<StageField, Summary> {
  const series = new Map<StageField, number[]>(STAGE_FIELDS.map((f) => [f, []]));
  for (const line of log.split('\n')) {
    // Most lines are other messages: skip them before parsing.
    if (!line.includes('"turn latency"')) continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // a line cut by the end of the file read so far
    }
    const at = typeof entry.time === 'string' ? Date.parse(entry.time) : Number(entry.time);
    if (entry.msg !== 'turn latency' || !(at >= fromMs && at < toMs)) continue;
    for (const f of STAGE_FIELDS) {
      const v = entry[f];
      if (typeof v === 'number') series.get(f)!.push(v);
    }
  }
  return Object.fromEntries(STAGE_FIELDS.map((f) => [f, summarize(series.get(f)!)])) as Record<
    StageField,
    Summary
  >;
}
