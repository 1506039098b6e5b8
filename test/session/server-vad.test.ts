/**
 * Server VAD in the session (shared/realtime-protocol.md 4.2 and 4.4), with an energy VAD so turns
 * are scripted exactly: speech start and stop on the appended-audio timeline, the commit, the
 * automatic response, barge-in, and the switches that turn each off.
 */
import { describe, expect, it } from 'vitest';
import { EnergyVad } from '../../src/providers/fake/energy-vad.js';
import { MIN_SPEECH_MS } from '../../src/pipeline/turn-detector.js';
import type { VadStage } from '../../src/providers/types.js';
import type { TurnLatency } from '../../src/session/realtime-session.js';
import { Harness } from '../helpers/session-harness.js';
import type { HarnessOptions } from '../helpers/session-harness.js';

/** 24 kHz PCM16: `ms` of a loud tone (speech to the energy VAD) or silence, base64, as 20 ms appends. */
function audio(ms: number, loud: boolean): string[] {
  const out: string[] = [];
  for (let t = 0; t < ms; t += 20) {
    const pcm = new Int16Array(480);
    if (loud)
      for (let i = 0; i < 480; i++) pcm[i] = Math.round(6000 * Math.sin((2 * Math.PI * 220 * i) / 24_000));
    out.push(Buffer.from(pcm.buffer).toString('base64'));
  }
  return out;
}

function append(h: Harness, chunks: string[]): void {
  for (const a of chunks) h.send({ type: 'input_audio_buffer.append', audio: a });
}

const SERVER_VAD = { type: 'server_vad', silence_duration_ms: 300, prefix_padding_ms: 100 };

/** Turns server VAD on with `turnDetection`: text output unless `audioOut`, input in `format` if given. */
function useServerVad(
  h: Harness,
  turnDetection: Record<string, unknown> = SERVER_VAD,
  o: { audioOut?: boolean; format?: 'audio/pcmu' } = {},
): void {
  h.send({
    type: 'session.update',
    session: {
      type: 'realtime',
      ...(o.audioOut ? {} : { output_modalities: ['text'] }),
      audio: {
        input: { ...(o.format ? { format: { type: o.format } } : {}), turn_detection: turnDetection },
      },
    },
  });
}

/** An audio response under way (its first audio delta sent) in a session with server VAD on. */
async function answering(
  llm: NonNullable<HarnessOptions['llm']>,
  turnDetection: Record<string, unknown> = SERVER_VAD,
): Promise<Harness> {
  const h = new Harness({ vad: new EnergyVad(), llm });
  useServerVad(h, turnDetection, { audioOut: true });
  h.send({ type: 'response.create' });
  await h.waitFor('response.output_audio.delta');
  return h;
}

describe('server VAD turns', () => {
  it('speech start/stop on the audio timeline, commit, then a response', async () => {
    const latencies: TurnLatency[] = [];
    const h = new Harness({
      vad: new EnergyVad(),
      stt: ['hello there'],
      onTurnLatency: (l) => latencies.push(l),
    });
    useServerVad(h);
    const mark = h.events.length;
    append(h, [...audio(500, false), ...audio(800, true), ...audio(600, false)]);
    const done = await h.waitFor('response.done', mark);
    const types = h.types(mark).filter((t) => !t.endsWith('.delta'));
    expect(types.slice(0, 6)).toEqual([
      'input_audio_buffer.speech_started',
      'input_audio_buffer.speech_stopped',
      'input_audio_buffer.committed',
      'conversation.item.added',
      'conversation.item.done',
      'response.created',
    ]);
    const started = h.events.find((e) => e.type === 'input_audio_buffer.speech_started') as {
      audio_start_ms: number;
      item_id: string;
    };
    const stopped = h.events.find((e) => e.type === 'input_audio_buffer.speech_stopped') as {
      audio_end_ms: number;
      item_id: string;
    };
    // Speech ran from 500 to 1300 ms; start includes 100 ms of prefix padding (32 ms windows).
    expect(started.audio_start_ms).toBeGreaterThanOrEqual(400 - 32);
    expect(started.audio_start_ms).toBeLessThanOrEqual(400 + 32);
    expect(stopped.audio_end_ms).toBeGreaterThanOrEqual(1300 - 32);
    expect(stopped.audio_end_ms).toBeLessThanOrEqual(1300 + 300 + 32);
    expect(stopped.item_id).toBe(started.item_id);
    expect(done).toMatchObject({
      response: { status: 'completed', output: [{ content: [{ text: 'You said: hello there.' }] }] },
    });
    // The committed item holds the turn's audio: from audio_start_ms to audio_end_ms.
    h.send({ type: 'conversation.item.retrieve', item_id: started.item_id });
    const item = (h.events.at(-1) as { item: { content: { audio: string }[] } }).item;
    const ms = Buffer.from(item.content[0]!.audio, 'base64').byteLength / 48;
    expect(Math.abs(ms - (stopped.audio_end_ms - started.audio_start_ms))).toBeLessThanOrEqual(1);
    expect(h.invalidEvents()).toEqual([]);
    // Text responses have no audio: no latency record. An audio turn is measured below.
    expect(latencies).toEqual([]);
  });

  it('measures an audio turn from the end of speech to the first audio delta', async () => {
    const latencies: TurnLatency[] = [];
    const h = new Harness({ vad: new EnergyVad(), onTurnLatency: (l) => latencies.push(l) });
    useServerVad(h, SERVER_VAD, { audioOut: true });
    append(h, [...audio(300, false), ...audio(400, true), ...audio(500, false)]);
    await h.waitFor('response.done');
    expect(latencies).toHaveLength(1);
    const l = latencies[0]!;
    const parts =
      l.vadWaitMs +
      l.sttFinalMs +
      l.llmFirstTokenMs +
      l.sentenceWaitMs +
      l.ttsFirstAudioMs +
      l.gatewayOverheadMs;
    expect(Math.abs(parts - l.endOfSpeechToFirstAudioMs)).toBeLessThan(0.5);
    for (const v of Object.values(l)) expect(v).toBeGreaterThanOrEqual(-0.5);
  });

  it('create_response false: the turn is committed and nothing more', async () => {
    const h = new Harness({ vad: new EnergyVad() });
    useServerVad(h, { ...SERVER_VAD, create_response: false }, { audioOut: true });
    const mark = h.events.length;
    append(h, [...audio(300, false), ...audio(400, true), ...audio(500, false)]);
    await h.waitFor('conversation.item.done', mark);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.types(mark)).not.toContain('response.created');
  });

  it('barge-in: speech during a response cancels it with turn_detected, parts closed first', async () => {
    const h = await answering(() => [
      { type: 'text', delta: 'A long answer. ' },
      { type: 'wait', ms: 10_000 },
    ]);
    const mark = h.events.length;
    append(h, audio(300, true));
    const done = await h.waitFor('response.done', mark);
    expect(done).toMatchObject({
      response: { status: 'cancelled', status_details: { type: 'cancelled', reason: 'turn_detected' } },
    });
    const types = h.types(mark).filter((t) => !t.endsWith('.delta'));
    expect(types).toEqual([
      'input_audio_buffer.speech_started',
      'response.output_audio.done',
      'response.output_audio_transcript.done',
      'response.content_part.done',
      'response.output_item.done',
      'conversation.item.done',
      'response.done',
    ]);
  });

  it('barge-in: no transcript delta after speech_started, and the deltas add up to the transcript kept', async () => {
    const h = await answering(() => [
      { type: 'text', delta: 'A long answer. ' },
      { type: 'wait', ms: 20 },
      // No sentence end: these words have no audio yet when the user speaks over the answer.
      { type: 'text', delta: 'and then' },
      { type: 'wait', ms: 10_000 },
    ]);
    await new Promise((r) => setTimeout(r, 40));
    const mark = h.events.length;
    append(h, audio(300, true));
    const done = await h.waitFor('response.done', mark);
    expect(done).toMatchObject({ response: { status: 'cancelled' } });
    const started = h.events.findIndex((e) => e.type === 'input_audio_buffer.speech_started');
    const deltas = h.events.filter((e) => e.type === 'response.output_audio_transcript.delta');
    expect(
      h.events.slice(started).filter((e) => e.type === 'response.output_audio_transcript.delta'),
    ).toEqual([]);
    const sent = deltas.map((e) => (e as { delta: string }).delta).join('');
    const transcriptDone = h.events.find((e) => e.type === 'response.output_audio_transcript.done') as {
      transcript: string;
    };
    expect(transcriptDone.transcript).toBe(sent);
    expect(sent.startsWith('A long answer.')).toBe(true);
    const item = (done as { response: { output: { content: { transcript: string }[] }[] } }).response
      .output[0]!;
    expect(item.content[0]!.transcript).toBe(sent);
  });

  it('interrupt_response false: speech does not cancel the response', async () => {
    const h = await answering(
      () => [
        { type: 'text', delta: 'Answer. ' },
        { type: 'wait', ms: 300 },
        { type: 'text', delta: 'More.' },
      ],
      { ...SERVER_VAD, interrupt_response: false, create_response: false },
    );
    append(h, audio(300, true));
    const done = await h.waitFor('response.done');
    expect(done).toMatchObject({ response: { status: 'completed' } });
  });

  it('turn_detection null stops detection: appends only buffer', async () => {
    const h = new Harness({ vad: new EnergyVad() });
    h.send({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { turn_detection: null } } },
    });
    const mark = h.events.length;
    append(h, [...audio(300, true), ...audio(500, false)]);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.types(mark)).toEqual([]);
  });

  it('G.711 input: detection runs on 8 kHz audio natively', async () => {
    const h = new Harness({ vad: new EnergyVad(), stt: ['by phone'] });
    useServerVad(h, SERVER_VAD, { format: 'audio/pcmu' });
    const { encodeMulaw } = await import('../../src/audio/g711.js');
    const chunk = (loud: boolean) => {
      const pcm = new Int16Array(160);
      if (loud)
        for (let i = 0; i < 160; i++) pcm[i] = Math.round(6000 * Math.sin((2 * Math.PI * 220 * i) / 8000));
      return Buffer.from(encodeMulaw(pcm)).toString('base64');
    };
    for (let i = 0; i < 15; i++) h.send({ type: 'input_audio_buffer.append', audio: chunk(false) });
    for (let i = 0; i < 30; i++) h.send({ type: 'input_audio_buffer.append', audio: chunk(true) });
    for (let i = 0; i < 30; i++) h.send({ type: 'input_audio_buffer.append', audio: chunk(false) });
    const done = await h.waitFor('response.done');
    expect(done).toMatchObject({ response: { output: [{ content: [{ text: 'You said: by phone.' }] }] } });
    const started = h.events.find((e) => e.type === 'input_audio_buffer.speech_started') as {
      audio_start_ms: number;
    };
    expect(started.audio_start_ms).toBeGreaterThanOrEqual(300 - 100 - 32);
    expect(started.audio_start_ms).toBeLessThanOrEqual(300 - 100 + 32);
  });
});

describe('idle timeout', () => {
  it('idle_timeout_ms without speech: timeout_triggered, the silence committed, then a response', async () => {
    const h = new Harness({ vad: new EnergyVad() });
    useServerVad(h, { ...SERVER_VAD, idle_timeout_ms: 600 });
    const mark = h.events.length;
    append(h, audio(1_000, false));
    const done = await h.waitFor('response.done', mark);
    expect(done).toMatchObject({ response: { status: 'completed' } });
    const types = h.types(mark).filter((t) => !t.endsWith('.delta'));
    expect(types.slice(0, 5)).toEqual([
      'input_audio_buffer.timeout_triggered',
      'input_audio_buffer.committed',
      'conversation.item.added',
      'conversation.item.done',
      'response.created',
    ]);
    const t = h.events.find((e) => e.type === 'input_audio_buffer.timeout_triggered') as {
      audio_end_ms: number;
      audio_start_ms: number;
    };
    expect(t.audio_end_ms).toBeGreaterThanOrEqual(600);
    expect(t.audio_end_ms).toBeLessThanOrEqual(700);
  });

  it('speech before the idle timeout: no timeout', async () => {
    const h = new Harness({ vad: new EnergyVad() });
    useServerVad(h, { ...SERVER_VAD, idle_timeout_ms: 800, create_response: false });
    const mark = h.events.length;
    append(h, [...audio(200, false), ...audio(300, true), ...audio(400, false)]);
    await h.waitFor('conversation.item.done', mark);
    expect(h.types(mark)).not.toContain('input_audio_buffer.timeout_triggered');
  });
});

describe('speculative turn start', () => {
  it('starts the LLM when silence begins, and sends nothing until the turn is confirmed', async () => {
    const h = new Harness({
      vad: new EnergyVad(),
      stt: ['hello'],
      speculativeTurnStart: true,
      llm: (req) => [
        { type: 'text', delta: `You said: ${req.messages.at(-1)?.content}.` },
        { type: 'done', finishReason: 'stop', usage: null },
      ],
    });
    useServerVad(h);
    const mark = h.events.length;
    let requestsAtStop = -1;
    const stopped = h
      .waitFor('input_audio_buffer.speech_stopped', mark)
      .then(() => (requestsAtStop = h.llm.requests.length));
    append(h, [...audio(300, false), ...audio(400, true)]);
    // Silence arrives in real time, so the speculative response has time to run before the VAD confirms.
    for (const chunk of audio(600, false)) {
      h.send({ type: 'input_audio_buffer.append', audio: chunk });
      await new Promise((r) => setTimeout(r, 5));
    }
    await stopped;
    const done = await h.waitFor('response.done', mark);
    expect(requestsAtStop).toBe(1);
    // The speculative response had finished before the turn was confirmed: it was sent, not redone.
    expect(h.llm.requests.length).toBe(1);
    expect(done).toMatchObject({
      response: { status: 'completed', output: [{ content: [{ text: 'You said: hello.' }] }] },
    });
    expect(h.types(mark).filter((t) => !t.endsWith('.delta'))).toEqual([
      'input_audio_buffer.speech_started',
      'input_audio_buffer.speech_stopped',
      'input_audio_buffer.committed',
      'conversation.item.added',
      'conversation.item.done',
      'response.created',
      'response.output_item.added',
      'conversation.item.added',
      'response.content_part.added',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'conversation.item.done',
      'response.done',
    ]);
    // The assistant item follows the user item in the conversation.
    const user = h.events.find((e) => e.type === 'input_audio_buffer.committed') as { item_id: string };
    const added = h.events.filter((e) => e.type === 'conversation.item.added') as {
      previous_item_id: string | null;
    }[];
    expect(added[1]!.previous_item_id).toBe(user.item_id);
    expect(h.invalidEvents()).toEqual([]);
  });

  it('the user resumes before the turn is confirmed: the speculation is dropped without a trace', async () => {
    const h = new Harness({
      vad: new EnergyVad(),
      stt: ['hello again'],
      speculativeTurnStart: true,
      llm: () => [
        { type: 'wait', ms: 20 },
        { type: 'text', delta: 'Reply.' },
      ],
    });
    useServerVad(h);
    const mark = h.events.length;
    const send = async (chunks: string[]) => {
      for (const c of chunks) {
        h.send({ type: 'input_audio_buffer.append', audio: c });
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    // Speech, a 200 ms pause (shorter than the 300 ms silence window), more speech, then silence.
    await send([
      ...audio(200, false),
      ...audio(300, true),
      ...audio(200, false),
      ...audio(300, true),
      ...audio(600, false),
    ]);
    await h.waitFor('response.done', mark);
    await new Promise((r) => setTimeout(r, 100));
    const types = h.types(mark);
    expect(types.filter((t) => t === 'input_audio_buffer.speech_started')).toHaveLength(1);
    expect(types.filter((t) => t === 'response.created')).toHaveLength(1);
    expect(types.filter((t) => t === 'response.done')).toHaveLength(1);
    // Two generations ran: the one dropped at the resumption, and the confirmed one.
    expect(h.llm.requests.length).toBe(2);
    expect(h.invalidEvents()).toEqual([]);
  });

  it('tells the VAD which windows a turn can start or end on: the one confirming speech and the one ending it', async () => {
    const asked: { endMs: number; urgent: boolean }[] = [];
    const energy = new EnergyVad();
    // Asks about each window just before its verdict is read, as a batching VAD asks when it sends.
    const vad: VadStage = {
      label: 'asking',
      sampleRates: energy.sampleRates,
      async *detect(frames, opts, signal) {
        for await (const f of energy.detect(frames, opts, signal)) {
          asked.push({ endMs: f.endMs, urgent: opts.urgent?.(f.endMs) ?? true });
          yield f;
        }
      },
    };
    const h = new Harness({ vad, stt: ['hello there'] });
    useServerVad(h);
    const mark = h.events.length;
    append(h, [...audio(500, false), ...audio(800, true), ...audio(600, false)]);
    await h.waitFor('response.done', mark);
    const started = h.events.find((e) => e.type === 'input_audio_buffer.speech_started') as {
      audio_start_ms: number;
    };
    const stopped = h.events.find((e) => e.type === 'input_audio_buffer.speech_stopped') as {
      audio_end_ms: number;
    };
    const urgent = asked.filter((a) => a.urgent).map((a) => a.endMs);
    // Speech (100 ms of prefix padding after audio_start_ms) is confirmed on the window that makes MIN_SPEECH_MS.
    expect(urgent).toHaveLength(2);
    expect(urgent[0]).toBe(started.audio_start_ms + 100 + Math.ceil(MIN_SPEECH_MS / 32) * 32);
    expect(urgent[1]).toBe(stopped.audio_end_ms);
    expect(asked.length).toBeGreaterThan(50);
  });
});
