/**
 * Audio turns on real speech streamed in real time: a server-VAD turn in 24 kHz PCM, the same in
 * G.711 μ-law both ways, and a barge-in followed by a truncate (protocol 4.2 and 4.4). Transcripts
 * are not compared with the fixture's words: only the structure is a protocol matter.
 */
import { silence, speech, speechSpans, streamRealtime, BYTES_PER_MS } from '../audio.js';
import type { InputFormat } from '../audio.js';
import { responseCreate, sessionOutputFormat, userText } from '../dialect.js';
import { check } from '../runner.js';
import type { KitOptions, Scenario, ScenarioContext } from '../runner.js';
import { LONG_REQUEST } from './responses.js';
import { audioBytes, awaitResponse, checkAudioFitsTranscript, firstPart, joined } from './steps.js';

type E = Record<string, unknown>;

/** Server VAD as the scenarios set it: OpenAI's documented defaults, 500 ms of closing silence. */
const VAD = { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 };
/** Silence after the speech: the turn's 500 ms, the VAD's lag, and margin. */
const TRAILING_SILENCE_MS = 1_500;
/** How far the reported speech bounds may sit from the fixture's measured speech. */
const BOUND_TOLERANCE_MS = 400;
const noVad = (o: KitOptions) => (o.vad ? null : 'the server has no turn detection (--no-vad)');

/** Streams a fixture as one server-VAD turn and checks the turn's events; returns the response. */
async function voiceTurn(ctx: ScenarioContext, format: InputFormat) {
  const d = ctx.dialect;
  const c = await ctx.session({
    output: 'audio',
    format,
    turnDetection: VAD,
    transcription: { model: 'gpt-4o-mini-transcribe' },
  });
  const updated = c
    .received()
    .filter((r) => r.ga === 'session.updated')
    .pop()!.e.session as E;
  const want =
    format === 'pcm' ? (d === 'ga' ? 'audio/pcm' : 'pcm16') : d === 'ga' ? 'audio/pcmu' : 'g711_ulaw';
  check(
    sessionOutputFormat(d, updated) === want,
    `session output format is ${JSON.stringify(sessionOutputFormat(d, updated))}`,
  );

  const fixture = format === 'pcm' ? 'en-weather' : 'en-hello';
  const streaming = streamRealtime(c, speech(fixture, format, TRAILING_SILENCE_MS), format);
  const started = await c.next('input_audio_buffer.speech_started');
  const stopped = await c.next('input_audio_buffer.speech_stopped');
  const committed = await c.next('input_audio_buffer.committed');
  const userId = started.item_id;
  check(
    stopped.item_id === userId && committed.item_id === userId,
    'speech_started, speech_stopped and committed name different items',
  );
  const spans = speechSpans(fixture);
  const [speechStart, speechEnd] = [spans[0]![0], spans[spans.length - 1]![1]];
  const startMs = Number(started.audio_start_ms);
  const endMs = Number(stopped.audio_end_ms);
  check(
    startMs >= 0 && startMs <= speechStart + BOUND_TOLERANCE_MS,
    `audio_start_ms ${startMs} for speech starting at ${speechStart} ms`,
  );
  check(
    endMs >= speechEnd - BOUND_TOLERANCE_MS && endMs > startMs,
    `audio_end_ms ${endMs} for speech ending at ${speechEnd} ms`,
  );
  const user = await c.next('conversation.item.added', (e) => (e.item as E).id === userId);
  const part = firstPart(user.item as E);
  check(
    (user.item as E).role === 'user' && part.type === 'input_audio',
    'the turn item is not a user input_audio message',
  );
  check('transcript' in part, 'the input_audio part has no transcript key (null until transcribed)');

  const r = await awaitResponse(c);
  await streaming;
  check(r.done.status === 'completed', `the turn's response ended ${String(r.done.status)}`);
  const transcription = await c.next(
    'conversation.item.input_audio_transcription.completed',
    (e) => e.item_id === userId,
    0,
  );
  check(
    typeof transcription.transcript === 'string' && transcription.transcript.length > 0,
    'empty input transcription',
  );
  const spoken = joined(r.events, 'response.output_audio_transcript.delta');
  checkAudioFitsTranscript(r.events, BYTES_PER_MS[format], spoken);
  return r;
}

export const AUDIO_SCENARIOS: Scenario[] = [
  {
    name: 'audio.barge-in',
    description:
      'Speech during a spoken answer cancels it (turn_detected); truncate cuts the item to what was played.',
    scope: 'any',
    skipReason: noVad,
    run: async (ctx) => {
      const d = ctx.dialect;
      const c = await ctx.session({
        output: 'audio',
        format: 'pcm',
        turnDetection: { ...VAD, interrupt_response: true, create_response: true },
      });
      c.send({ type: 'conversation.item.create', item: userText(LONG_REQUEST) });
      c.send(responseCreate(d));
      const first = await c.next('response.output_audio.delta');
      const answerId = String(first.response_id);
      const itemId = String(first.item_id);
      // The user speaks over the answer, from the moment its audio starts.
      const streaming = streamRealtime(c, speech('en-hello', 'pcm', TRAILING_SILENCE_MS), 'pcm');
      const started = await c.next('input_audio_buffer.speech_started');
      const done = await c.next('response.done', (e) => (e.response as E).id === answerId, 0);
      const answer = done.response as E;
      check(
        answer.status === 'cancelled' && (answer.status_details as E | null)?.reason === 'turn_detected',
        `the interrupted answer ended ${String(answer.status)} (${JSON.stringify(answer.status_details)}); it must still be running when speech starts`,
      );
      // Played so far, as a client would count it: at most what arrived.
      const received = audioBytes(c.log.filter((r) => r.e.response_id === answerId)) / 48;
      const playedMs = Math.max(1, Math.min(300, Math.floor(received)));
      c.send({
        type: 'conversation.item.truncate',
        item_id: itemId,
        content_index: 0,
        audio_end_ms: playedMs,
      });
      const truncated = await c.next('conversation.item.truncated');
      check(
        truncated.item_id === itemId && truncated.audio_end_ms === playedMs,
        'truncated names another item or length',
      );
      c.send({ type: 'conversation.item.retrieve', item_id: itemId });
      const retrieved = (await c.next('conversation.item.retrieved')).item as E;
      const audio = firstPart(retrieved).audio;
      if (typeof audio === 'string')
        check(
          Buffer.byteLength(audio, 'base64') === playedMs * 48,
          `retrieved audio is ${Buffer.byteLength(audio, 'base64') / 48} ms, truncated to ${playedMs}`,
        );
      // The interrupting turn goes on to its own response.
      await c.next('input_audio_buffer.committed', (e) => e.item_id === started.item_id);
      const next = await awaitResponse(c);
      await streaming;
      check(
        next.done.status === 'completed',
        `the barge-in turn's response ended ${String(next.done.status)}`,
      );
    },
  },
  {
    name: 'audio.server-vad',
    description:
      'Real speech in 24 kHz PCM, streamed in real time: speech_started, speech_stopped, committed, item, response, transcription.',
    scope: 'any',
    skipReason: noVad,
    run: async (ctx) => {
      await voiceTurn(ctx, 'pcm');
    },
  },
  {
    name: 'audio.g711',
    description: 'The same voice turn in G.711 μ-law in and out (8 kHz): the answer is μ-law, not PCM.',
    scope: 'any',
    skipReason: noVad,
    run: async (ctx) => {
      await voiceTurn(ctx, 'pcmu');
    },
  },
  {
    name: 'audio.manual-commit',
    description:
      'Turn detection off: appended speech, commit, committed and the user item; response.create answers it.',
    scope: 'any',
    run: async (ctx) => {
      const d = ctx.dialect;
      const c = await ctx.session({ output: 'text', format: 'pcm', turnDetection: null });
      const audio = speech('en-hello', 'pcm', 0);
      for (let i = 0; i < audio.byteLength; i += 96_000)
        c.send({
          type: 'input_audio_buffer.append',
          audio: Buffer.from(audio.subarray(i, i + 96_000)).toString('base64'),
        });
      c.send({ type: 'input_audio_buffer.commit' });
      const committed = await c.next('input_audio_buffer.committed');
      const item = (await c.next('conversation.item.added', (e) => (e.item as E).id === committed.item_id))
        .item as E;
      check(firstPart(item).type === 'input_audio', 'the committed item is not input_audio');
      check(
        !c.received().some((r) => r.ga === 'response.created'),
        'a commit without turn detection started a response',
      );
      c.send(responseCreate(d));
      const r = await awaitResponse(c);
      check(r.done.status === 'completed', `response ended ${String(r.done.status)}`);
      // Clearing an empty buffer is acknowledged too.
      c.send({
        type: 'input_audio_buffer.append',
        audio: Buffer.from(silence('pcm', 40)).toString('base64'),
      });
      c.send({ type: 'input_audio_buffer.clear' });
      await c.next('input_audio_buffer.cleared');
    },
  },
];
