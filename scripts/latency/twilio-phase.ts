/**
 * The phone path of the latency benchmark (`--twilio`): emulated Twilio calls to the gateway's
 * voice webhook and Media Stream, each caller streaming real speech as 20 ms μ-law frames every
 * 20 ms (silence between utterances, as a phone line does), and timing the caller's end of speech
 * to the first outbound `media` frame.
 */
import { performance } from 'node:perf_hooks';
import { encodeMulaw } from '../../src/audio/g711.js';
import { TwilioPeer } from '../../src/emulators/twilio/peer.js';
import { twilioSignature } from '../../src/telephony/signature.js';
import { SPEECH_FIXTURES, loadSpeech } from '../../test/fixtures/speech/index.js';
import type { SpeechFixtureName } from '../../test/fixtures/speech/index.js';
import { PacedTicker } from './paced.js';
import { stats } from './stats.js';
import type { Stats } from './stats.js';

/** 20 ms of μ-law at 8 kHz. */
const FRAME_BYTES = 160;
const FRAME_MS = 20;
/** μ-law's code for zero. */
const SILENCE = 0xff;
/** Wait for an answer before counting the turn failed. */
const ANSWER_TIMEOUT_MS = 20_000;
/** Pause after the answer has played before the caller speaks again. */
const TURN_GAP_MS = 400;
/** Calls start this far apart so their turns do not end in lockstep. */
const CALL_STAGGER_MS = 370;

/** What the phone phase needs of the benchmark. */
export interface TwilioPhaseOptions {
  /** `http://127.0.0.1:PORT` of the gateway. */
  baseUrl: string;
  authToken: string;
  calls: number;
  turns: number;
  fixtures: SpeechFixtureName[];
}

/** The phone phase's figures. */
export interface TwilioPhaseResult {
  turnsAttempted: number;
  /** The caller's last speech frame sent to the first `media` frame of the answer received. */
  callerEndOfSpeechToFirstMediaMs: Stats;
  /** Webhook request to the first greeting frame received (the stream opened in between). */
  webhookToFirstGreetingMediaMs: Stats;
  failures: string[];
}

/** Sends a frame every 20 ms of wall time: queued speech, else silence (a phone line never pauses). */
class PhoneLine {
  private queue: {
    bytes: Uint8Array;
    sent: number;
    speechEnd: number;
    onEnd: (at: number) => void;
    onDone: () => void;
  }[] = [];
  private readonly ticker = new PacedTicker(FRAME_MS, () => this.frame());
  private readonly silence = new Uint8Array(FRAME_BYTES).fill(SILENCE);

  constructor(private readonly peer: TwilioPeer) {}

  start(): void {
    this.ticker.start();
  }

  stop(): void {
    this.ticker.stop();
  }

  /** Queues speech; resolves when its last speech frame was sent and when all of it was. */
  say(bytes: Uint8Array, speechEndByte: number): { speechEndSentAt: Promise<number>; done: Promise<void> } {
    let onEnd!: (at: number) => void;
    let onDone!: () => void;
    const speechEndSentAt = new Promise<number>((r) => (onEnd = r));
    const done = new Promise<void>((r) => (onDone = r));
    this.queue.push({ bytes, sent: 0, speechEnd: speechEndByte, onEnd, onDone });
    return { speechEndSentAt, done };
  }

  private frame(): void {
    const head = this.queue[0];
    if (!head) return this.peer.sendFrame(this.silence);
    const frame = new Uint8Array(FRAME_BYTES).fill(SILENCE);
    const to = Math.min(head.sent + FRAME_BYTES, head.bytes.length);
    frame.set(head.bytes.subarray(head.sent, to));
    const before = head.sent;
    head.sent = to;
    this.peer.sendFrame(frame);
    if (before < head.speechEnd && head.sent >= head.speechEnd) head.onEnd(performance.now());
    if (head.sent >= head.bytes.length) {
      this.queue.shift();
      head.onDone();
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** Waits until the media received so far has played out at the caller's end, then a pause. */
async function playedOut(peer: TwilioPeer): Promise<void> {
  let quietSince = performance.now();
  let lastCount = 0;
  // The answer is made faster than real time: wait until no frame has come for 300 ms...
  while (performance.now() - quietSince < 300) {
    const count = peer.events.length;
    if (count !== lastCount) {
      lastCount = count;
      quietSince = performance.now();
    }
    await sleep(50);
  }
  // ...then until all of it has played, by the caller's clock.
  await sleep(peer.playoutEndsAt - performance.now());
  await sleep(TURN_GAP_MS);
}

/** Runs the calls; failures are recorded, never thrown. */
export async function twilioPhase(o: TwilioPhaseOptions): Promise<TwilioPhaseResult> {
  const utterances = o.fixtures.map((name) => {
    const spans = SPEECH_FIXTURES[name].speechMs;
    return { bytes: encodeMulaw(loadSpeech(name, 8_000)), speechEndByte: spans[spans.length - 1]![1] * 8 };
  });
  const turnMs: number[] = [];
  const greetingMs: number[] = [];
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: o.calls }, async (_, c) => {
      await sleep(c * CALL_STAGGER_MS);
      let peer: TwilioPeer;
      const rang = performance.now();
      try {
        peer = await TwilioPeer.call({
          baseUrl: o.baseUrl,
          authToken: o.authToken,
          sign: twilioSignature,
          from: '+15550100' + String(c).padStart(3, '0'),
        });
        await peer.until(
          () => peer.events.some((e) => e.kind === 'media'),
          ANSWER_TIMEOUT_MS,
          'the greeting',
        );
      } catch (err) {
        failures.push(`call ${c}: ${(err as Error).message}`);
        return;
      }
      greetingMs.push(peer.events.find((e) => e.kind === 'media')!.at - rang);
      const line = new PhoneLine(peer);
      line.start();
      try {
        await playedOut(peer);
        for (let t = 0; t < o.turns; t++) {
          const u = utterances[(c + t) % utterances.length]!;
          const said = line.say(u.bytes, u.speechEndByte);
          try {
            const endAt = await said.speechEndSentAt;
            await peer.until(
              () => peer.events.some((e) => e.kind === 'media' && e.at > endAt),
              ANSWER_TIMEOUT_MS,
              'the answer',
            );
            turnMs.push(peer.events.find((e) => e.kind === 'media' && e.at > endAt)!.at - endAt);
          } catch (err) {
            failures.push(`call ${c} turn ${t}: ${(err as Error).message}`);
          }
          await said.done;
          await playedOut(peer);
        }
      } finally {
        line.stop();
        await peer.hangUp().catch(() => undefined);
      }
    }),
  );
  return {
    turnsAttempted: o.calls * o.turns,
    callerEndOfSpeechToFirstMediaMs: stats(turnMs),
    webhookToFirstGreetingMediaMs: stats(greetingMs),
    failures,
  };
}
