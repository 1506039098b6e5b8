/**
 * One contract suite per stage, run against every adapter and fake: what the pipeline relies on
 * whatever the provider. An aborted stage returns quietly (the abort is not an error), a stream
 * ends when its input ends, and output is in the format asked for.
 */
import { expect, it } from 'vitest';
import type {
  AudioSpec,
  LlmEvent,
  LlmRequest,
  LlmStage,
  SttEvent,
  SttStage,
  TtsChunk,
  TtsStage,
} from '../../src/providers/types.js';

/** Bound on how long an aborted stage may take to return. */
const ABORT_RETURN_MS = 1_000;

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function* from<T>(items: T[], gapMs = 0): AsyncIterable<T> {
  for (const x of items) {
    if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    yield x;
  }
}

/** Runs `iterable` until `afterItems` items arrived, aborts, and checks it returns quietly and soon. */
async function abortsQuietly<T>(
  start: (signal: AbortSignal) => AsyncIterable<T>,
  afterItems: number,
): Promise<void> {
  const ac = new AbortController();
  let n = 0;
  const t0 = Date.now();
  let abortedAt = 0;
  await expect(
    (async () => {
      for await (const _ of start(ac.signal)) {
        if (++n === afterItems) {
          ac.abort();
          abortedAt = Date.now();
        }
      }
    })(),
  ).resolves.toBeUndefined();
  if (abortedAt) expect(Date.now() - abortedAt).toBeLessThan(ABORT_RETURN_MS);
  else expect(Date.now() - t0).toBeLessThan(ABORT_RETURN_MS * 10);
}

const REQUEST: LlmRequest = {
  instructions: 'Be brief.',
  messages: [{ role: 'user', content: 'tell me something about the sea' }],
  tools: [],
  toolChoice: 'auto',
  maxOutputTokens: null,
};

/** The LLM stage contract. `make` builds a stage whose reply to REQUEST has at least two text deltas. */
export function llmContract(make: () => LlmStage): void {
  it('streams text and ends with exactly one done event', async () => {
    const events: LlmEvent[] = await collect(make().generate(REQUEST, new AbortController().signal));
    expect(events.filter((e) => e.type === 'text').length).toBeGreaterThan(1);
    expect(events.filter((e) => e.type === 'done')).toHaveLength(1);
    expect(events.at(-1)?.type).toBe('done');
  });

  it('returns quietly when aborted mid-stream', async () => {
    await abortsQuietly((signal) => make().generate(REQUEST, signal), 1);
  });

  it('returns at once for an already aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    expect(await collect(make().generate(REQUEST, ac.signal))).toEqual([]);
  });
}

const SPECS: AudioSpec[] = [
  { encoding: 'pcm16', sampleRate: 24_000 },
  { encoding: 'mulaw', sampleRate: 8_000 },
  { encoding: 'alaw', sampleRate: 8_000 },
];

/** The TTS stage contract. */
export function ttsContract(make: () => TtsStage, voice = 'alloy'): void {
  for (const audio of SPECS) {
    it(`speaks every piece in ${audio.encoding} at ${audio.sampleRate} Hz, with ordered word timings`, async () => {
      const chunks: TtsChunk[] = await collect(
        make().synthesize(
          from(['Hello there.', 'How are you?']),
          { audio, voice, speed: 1 },
          new AbortController().signal,
        ),
      );
      const bytes = chunks.reduce((n, c) => n + c.audio.byteLength, 0);
      expect(bytes).toBeGreaterThan(0);
      if (audio.encoding === 'pcm16') expect(chunks.every((c) => c.audio.byteLength % 2 === 0)).toBe(true);
      const words = chunks.flatMap((c) => c.words ?? []);
      expect(words.map((w) => w.word)).toEqual(['Hello', 'there.', 'How', 'are', 'you?']);
      for (let i = 1; i < words.length; i++)
        expect(words[i]!.startMs).toBeGreaterThanOrEqual(words[i - 1]!.startMs);
      const bytesPerMs = (audio.sampleRate / 1000) * (audio.encoding === 'pcm16' ? 2 : 1);
      expect(words.at(-1)!.endMs).toBeLessThanOrEqual(bytes / bytesPerMs + 1);
    });
  }

  it('returns quietly when aborted mid-stream', async () => {
    await abortsQuietly(
      (signal) =>
        make().synthesize(
          from(['One two three four five six seven.', 'Eight nine ten.'], 5),
          { audio: SPECS[0]!, voice, speed: 1 },
          signal,
        ),
      1,
    );
  });
}

/** The STT stage contract. */
export function sttContract(make: () => SttStage): void {
  const audio: AudioSpec = { encoding: 'pcm16', sampleRate: 24_000 };
  const chunks = Array.from({ length: 10 }, () => new Uint8Array(960));

  it('reports a final transcript and ends when the audio ends', async () => {
    const events: SttEvent[] = await collect(
      make().transcribe(from(chunks), { audio }, new AbortController().signal),
    );
    expect(events.some((e) => e.type === 'final')).toBe(true);
  });

  it('returns quietly when aborted while audio still flows', async () => {
    const ac = new AbortController();
    // The audio keeps coming after the abort: the stage itself must stop (bounded at 5 s).
    const endless = (async function* () {
      for (let i = 0; i < 500; i++) {
        await new Promise((r) => setTimeout(r, 10));
        yield new Uint8Array(960);
      }
    })();
    setTimeout(() => ac.abort(), 50);
    const t0 = Date.now();
    await expect(collect(make().transcribe(endless, { audio }, ac.signal))).resolves.toBeDefined();
    expect(Date.now() - t0).toBeLessThan(ABORT_RETURN_MS);
  });
}
