/**
 * espeak-ng (WebAssembly build from npm, voice data included) run in one worker thread per process.
 *
 * Synthesis is synchronous inside the WASM module (about 35x faster than real time once warm, plus
 * ~350 ms to load and warm up), so running it on the main thread would stall every socket of an
 * in-process gateway for tens of milliseconds per sentence. A worker keeps the event loop free;
 * requests are answered strictly in order because the worker handles one message at a time, which
 * also serialises access to the (non re-entrant) synthesizer.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** espeak-ng's fixed output rate. */
export const ESPEAK_SAMPLE_RATE = 22_050;
/** espeak-ng's default speaking rate, in words per minute (speed 1). */
const ESPEAK_DEFAULT_WPM = 175;
/** espeak-ng accepts 80 to 450 words per minute. */
const ESPEAK_MIN_WPM = 80;
const ESPEAK_MAX_WPM = 450;
/** Longest text one request may carry: about 10 minutes of speech, far beyond any sentence. */
export const MAX_ESPEAK_TEXT_CHARS = 10_000;
/** Requests queued for the worker before new ones are refused. */
const MAX_PENDING_REQUESTS = 256;

/** One espeak-ng event the wrapper keeps: `pos` is espeak's 1-based code point index. */
export interface EspeakEvent {
  type: 'word' | 'sentence' | 'end';
  pos: number;
  len: number;
  ms: number;
}

/** Raw espeak-ng output at 22 050 Hz. */
export interface EspeakResult {
  samples: Int16Array;
  events: EspeakEvent[];
}

/** Thrown when espeak-ng has no voice for the language asked for. */
export class UnsupportedVoiceError extends Error {
  constructor(readonly voice: string) {
    super(`espeak-ng has no voice '${voice}'`);
    this.name = 'UnsupportedVoiceError';
  }
}

interface Request {
  id: number;
  text: string;
  voice: string;
  wpm: number;
}

type Reply =
  | { id: number; samples: Int16Array; events: EspeakEvent[] }
  | { id: number; error: string; badVoice?: boolean };

// Plain JS run with `eval: true` so it works the same under node, tsx and vitest (a .ts worker file
// would need a loader in the worker). The package path comes in through workerData.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const KEEP = new Set(['word', 'sentence', 'end']);
(async () => {
  const { default: createModule } = await import(workerData.moduleUrl);
  const m = await createModule({ print() {}, printErr() {} });
  const w = new m.eSpeakNGWorker();
  let voice = '';
  parentPort.on('message', (req) => {
    try {
      if (req.voice !== voice) {
        if (w.set_voice(req.voice) !== 0) {
          voice = '';
          parentPort.postMessage({ id: req.id, error: 'unsupported voice', badVoice: true });
          return;
        }
        voice = req.voice;
      }
      w.set_rate(req.wpm);
      const blocks = [];
      const events = [];
      let n = 0;
      w.synthesize(req.text, (samples, evs) => {
        blocks.push(samples);
        n += samples.length;
        for (const e of evs)
          if (KEEP.has(e.type)) events.push({ type: e.type, pos: e.text_position, len: e.word_length, ms: e.audio_position });
        return 0;
      });
      const out = new Int16Array(n);
      let o = 0;
      for (const b of blocks) { out.set(b, o); o += b.length; }
      parentPort.postMessage({ id: req.id, samples: out, events }, [out.buffer]);
    } catch (err) {
      parentPort.postMessage({ id: req.id, error: String(err && err.message || err) });
    }
  });
  parentPort.postMessage({ ready: true });
})().catch((err) => parentPort.postMessage({ fatal: String(err && err.message || err) }));
`;

class EspeakWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (r: EspeakResult) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;
  private dead: Error | null = null;

  constructor(onDeath: () => void) {
    const moduleUrl = pathToFileURL(
      createRequire(import.meta.url).resolve('@echogarden/espeak-ng-emscripten'),
    ).href;
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { moduleUrl } });
    // The worker must not keep the process alive: whoever waits on a request does.
    this.worker.unref();
    const die = (err: Error) => {
      if (this.dead) return;
      this.dead = err;
      onDeath();
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      void this.worker.terminate();
    };
    this.worker.on('error', (err) => die(new Error(`espeak-ng worker failed: ${err.message}`)));
    this.worker.on('exit', (code) => die(new Error(`espeak-ng worker exited (code ${code})`)));
    this.worker.on('message', (msg: Reply | { ready: true } | { fatal: string }) => {
      if ('fatal' in msg) return die(new Error(`espeak-ng failed to load: ${msg.fatal}`));
      if (!('id' in msg)) return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) this.worker.unref();
      if ('error' in msg) p.reject(msg.badVoice ? new UnsupportedVoiceError('') : new Error(msg.error));
      else p.resolve({ samples: msg.samples, events: msg.events });
    });
  }

  run(req: Omit<Request, 'id'>): Promise<EspeakResult> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.pending.size >= MAX_PENDING_REQUESTS)
      return Promise.reject(new Error(`espeak-ng queue is full (${MAX_PENDING_REQUESTS} requests)`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Keep the process alive while a request is outstanding.
      this.worker.ref();
      this.worker.postMessage({ ...req, id } satisfies Request);
    });
  }
}

let shared: EspeakWorker | null = null;

function worker(): EspeakWorker {
  shared ??= new EspeakWorker(() => {
    shared = null;
  });
  return shared;
}

/**
 * Synthesizes `text` with the espeak-ng voice `voice` (e.g. `en-us`, `es`) at `speed` (1 = 175
 * words per minute). Rejects with UnsupportedVoiceError for an unknown voice.
 */
export async function espeakSynthesize(text: string, voice: string, speed = 1): Promise<EspeakResult> {
  if (text.length > MAX_ESPEAK_TEXT_CHARS)
    throw new RangeError(`text is longer than ${MAX_ESPEAK_TEXT_CHARS} characters`);
  const wpm = Math.round(Math.min(ESPEAK_MAX_WPM, Math.max(ESPEAK_MIN_WPM, ESPEAK_DEFAULT_WPM * speed)));
  try {
    return await worker().run({ text, voice, wpm });
  } catch (err) {
    if (err instanceof UnsupportedVoiceError) throw new UnsupportedVoiceError(voice);
    throw err;
  }
}

/** Loads and warms espeak-ng in the background, so the first real request does not pay for it. */
export function warmUpEspeak(): Promise<void> {
  return espeakSynthesize('ready', 'en-us').then(
    () => undefined,
    () => undefined,
  );
}
