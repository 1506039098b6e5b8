/**
 * Content logging, only with `LOG_CONTENT=true` (a debugging aid): what the user said (input
 * transcription) and what each response said. Off by default, as transcripts are personal data.
 */
import type { ServerEvent } from '../../protocol/realtime/index.js';
import type { Logger } from '../util/log.js';

/** Logs the content an event carries, if any. */
export function logContent(log: Logger, sessionId: string, event: ServerEvent): void {
  if (event.type === 'conversation.item.input_audio_transcription.completed') {
    log.info('user transcript', { sessionId, itemId: event.item_id, transcript: event.transcript });
  } else if (event.type === 'response.done') {
    const said = event.response.output.flatMap((item) =>
      item.type === 'message'
        ? item.content.map((p) => ('transcript' in p ? p.transcript : 'text' in p ? p.text : ''))
        : [],
    );
    log.info('response content', {
      sessionId,
      responseId: event.response.id,
      status: event.response.status,
      transcript: said.join(' '),
    });
  }
}
