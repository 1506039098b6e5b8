/**
 * Where the time of a server-VAD turn went, from the end of the user's speech to the first audio
 * delta: the split the latency benchmark and the metrics report.
 */
import type { ResponseTimings } from './response-run.js';

/** Where the time went from the end of the user's speech to the first audio delta, in ms. */
export interface TurnLatency {
  endOfSpeechToFirstAudioMs: number;
  /** End of speech (real time) to the VAD's decision that the turn ended. */
  vadWaitMs: number;
  /** VAD decision to the transcript being final (0 when it was ready first). */
  sttFinalMs: number;
  llmFirstTokenMs: number;
  /** First token to the first whole sentence sent to the TTS. */
  sentenceWaitMs: number;
  ttsFirstAudioMs: number;
  /** What is left: the gateway's own time. */
  gatewayOverheadMs: number;
  /** The response started when silence began (the parts above then overlap the VAD wait). */
  speculative?: boolean;
}

/** The split of one turn; `speculative` when its response started as silence began. */
export function turnLatency(
  speechEndAt: number,
  decidedAt: number,
  transcriptAt: number,
  t: ResponseTimings,
  speculative = false,
): TurnLatency {
  if (speculative) return speculativeLatency(speechEndAt, decidedAt, transcriptAt, t);
  const firstAudioAt = t.firstAudioAt ?? decidedAt;
  const vadWaitMs = decidedAt - speechEndAt;
  const sttFinalMs = Math.max(0, transcriptAt - decidedAt);
  const llmFirstTokenMs = (t.llmFirstTokenAt ?? firstAudioAt) - (t.llmStartAt ?? firstAudioAt);
  const sentenceWaitMs = (t.ttsFirstPieceAt ?? firstAudioAt) - (t.llmFirstTokenAt ?? firstAudioAt);
  const ttsFirstAudioMs = firstAudioAt - (t.ttsFirstPieceAt ?? firstAudioAt);
  const endOfSpeechToFirstAudioMs = firstAudioAt - speechEndAt;
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    endOfSpeechToFirstAudioMs: round(endOfSpeechToFirstAudioMs),
    vadWaitMs: round(vadWaitMs),
    sttFinalMs: round(sttFinalMs),
    llmFirstTokenMs: round(llmFirstTokenMs),
    sentenceWaitMs: round(sentenceWaitMs),
    ttsFirstAudioMs: round(ttsFirstAudioMs),
    gatewayOverheadMs: round(
      endOfSpeechToFirstAudioMs - vadWaitMs - sttFinalMs - llmFirstTokenMs - sentenceWaitMs - ttsFirstAudioMs,
    ),
  };
}

/**
 * A speculative turn: the stages ran while the VAD waited, so the parts overlap. The STT final is
 * counted from the end of speech, and the gateway's share is what passed between the later of the
 * VAD's decision and the first audio, and the first audio reaching the client.
 */
function speculativeLatency(
  speechEndAt: number,
  decidedAt: number,
  transcriptAt: number,
  t: ResponseTimings,
): TurnLatency {
  const producedAt = t.firstAudioAt ?? decidedAt;
  const sentAt = Math.max(producedAt, t.releasedAt ?? producedAt);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    endOfSpeechToFirstAudioMs: round(sentAt - speechEndAt),
    vadWaitMs: round(decidedAt - speechEndAt),
    sttFinalMs: round(Math.max(0, transcriptAt - speechEndAt)),
    llmFirstTokenMs: round((t.llmFirstTokenAt ?? producedAt) - (t.llmStartAt ?? producedAt)),
    sentenceWaitMs: round((t.ttsFirstPieceAt ?? producedAt) - (t.llmFirstTokenAt ?? producedAt)),
    ttsFirstAudioMs: round(producedAt - (t.ttsFirstPieceAt ?? producedAt)),
    gatewayOverheadMs: round(sentAt - Math.max(decidedAt, producedAt)),
    speculative: true,
  };
}
