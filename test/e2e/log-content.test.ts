/**
 * Logs are JSON lines with session and response ids, and never carry what was said unless
 * LOG_CONTENT asks for it: a turn's transcript must not appear in any line by default, even at
 * debug level, and must appear when content logging is on.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/util/log.js';
import { startGateway } from '../helpers/gateway.js';
import { TestClient } from '../helpers/ws-client.js';

const SECRET = 'pineapple';

/** One spoken turn, transcribed as the secret, answered by an echo whose TTS fails on it. */
async function turn(logContent: boolean): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const log = createLogger('debug', { write: (l) => lines.push(l), content: logContent });
  const gw = await startGateway({
    env: { LOG_CONTENT: String(logContent) },
    log,
    stt: [`my ${SECRET} password`],
    tts: { failOn: SECRET },
  });
  const c = await TestClient.connect(gw.url);
  await c.next('session.created');
  c.send({
    type: 'session.update',
    session: {
      type: 'realtime',
      audio: { input: { turn_detection: null, transcription: { model: 'nova-3' } } },
    },
  });
  c.send({ type: 'input_audio_buffer.append', audio: Buffer.alloc(24_000).toString('base64') });
  c.send({ type: 'input_audio_buffer.commit' });
  c.send({ type: 'response.create' });
  const done = await c.next('response.done', () => true, 5_000);
  expect(done.response).toMatchObject({ status: 'failed' });
  await c.close();
  await gw.close();
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('logs', () => {
  it('carry session and response ids and no transcript by default', async () => {
    const lines = await turn(false);
    const text = JSON.stringify(lines);
    expect(text).not.toContain(SECRET);
    const opened = lines.find((l) => l.msg === 'session opened');
    expect(opened).toMatchObject({ level: 'info', sessionId: expect.stringMatching(/^sess_/) });
    expect(lines.find((l) => l.msg === 'response failed')).toMatchObject({
      level: 'warn',
      sessionId: opened!.sessionId,
      responseId: expect.stringMatching(/^resp_/),
    });
    for (const l of lines) expect(typeof l.time).toBe('string');
  });

  it('carry transcripts, prompts and response text only with LOG_CONTENT', async () => {
    const lines = await turn(true);
    expect(lines.find((l) => l.msg === 'user transcript')).toMatchObject({
      transcript: `my ${SECRET} password`,
    });
    expect(JSON.stringify(lines.find((l) => l.msg === 'llm request'))).toContain(SECRET);
    expect(lines.find((l) => l.msg === 'response content')).toMatchObject({
      responseId: expect.stringMatching(/^resp_/),
      transcript: expect.stringContaining(SECRET),
    });
  });

  it('censor content and secret fields passed by mistake', () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (l) => lines.push(l) });
    log.info('oops', { transcript: 'hello', apiKey: 'sk-123', nested: { instructions: 'be nice' }, n: 1 });
    log.debug('below the level', { n: 2 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'info',
      msg: 'oops',
      transcript: '[redacted]',
      apiKey: '[redacted]',
      nested: { instructions: '[redacted]' },
      n: 1,
    });
  });
});
