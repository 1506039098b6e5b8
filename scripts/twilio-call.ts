/**
 * Places one emulated phone call against a running gateway, as Twilio would, and saves what the
 * caller heard as a WAV file: `npm run call:twilio -- [--url http://127.0.0.1:8000] [--token T]
 * [--from +15551234567] [--say en-hello] [--out call.wav]`. Start the gateway with the same
 * `TWILIO_AUTH_TOKEN` (for example `TWILIO_AUTH_TOKEN=dev npm start`).
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { decodeMulaw, encodeMulaw } from '../src/audio/g711.js';
import { TwilioPeer } from '../src/emulators/twilio/peer.js';
import { twilioSignature } from '../src/telephony/signature.js';
import { SPEECH_FIXTURES, loadSpeech } from '../test/fixtures/speech/index.js';
import type { SpeechFixtureName } from '../test/fixtures/speech/index.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] ? args[at + 1]! : fallback;
};
const baseUrl = arg('--url', 'http://127.0.0.1:8000').replace(/\/+$/, '');
const token = arg('--token', process.env.TWILIO_AUTH_TOKEN ?? 'dev');
const from = arg('--from', '+15551234567');
const say = arg('--say', 'en-hello') as SpeechFixtureName;
const out = arg('--out', 'call.wav');
if (!(say in SPEECH_FIXTURES)) throw new Error(`--say: one of ${Object.keys(SPEECH_FIXTURES).join(', ')}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
/** Waits until no frame has come for `quietMs`, then until what came has played. */
async function listen(peer: TwilioPeer, quietMs: number): Promise<void> {
  let seen = -1;
  let since = performance.now();
  while (performance.now() - since < quietMs) {
    if (peer.events.length !== seen) {
      seen = peer.events.length;
      since = performance.now();
    }
    await sleep(50);
  }
  await sleep(peer.playoutEndsAt - performance.now());
}

const t0 = performance.now();
const peer = await TwilioPeer.call({ baseUrl, authToken: token, sign: twilioSignature, from });
console.log(`call ${peer.callSid} connected; parameters ${JSON.stringify(peer.parameters)}`);
await peer.until(() => peer.events.some((e) => e.kind === 'media'), 10_000, 'the greeting');
console.log(
  `greeting: first audio ${(peer.events.find((e) => e.kind === 'media')!.at - t0).toFixed(0)} ms after the webhook`,
);
await listen(peer, 600);
const speech = encodeMulaw(loadSpeech(say, 8_000));
const spans = SPEECH_FIXTURES[say].speechMs;
const speechEnd = spans[spans.length - 1]![1];
const spoke = performance.now();
await peer.speak(Buffer.concat([speech, encodeMulaw(new Int16Array(8 * 1_500))]));
const answer = peer.events.find((e) => e.kind === 'media' && e.at > spoke + speechEnd);
if (answer)
  console.log(
    `answer: first audio ${(answer.at - (spoke + speechEnd)).toFixed(0)} ms after the end of speech`,
  );
else console.log('answer: no audio yet after the caller spoke');
await listen(peer, 800);
await peer.hangUp();

// What the caller heard, as 8 kHz PCM16 WAV (cleared audio included).
const pcm = decodeMulaw(peer.receivedAudio());
const header = Buffer.alloc(44);
header.write('RIFF', 0);
header.writeUInt32LE(36 + pcm.byteLength, 4);
header.write('WAVEfmt ', 8);
header.writeUInt32LE(16, 16);
header.writeUInt16LE(1, 20);
header.writeUInt16LE(1, 22);
header.writeUInt32LE(8_000, 24);
header.writeUInt32LE(16_000, 28);
header.writeUInt16LE(2, 32);
header.writeUInt16LE(16, 34);
header.write('data', 36);
header.writeUInt32LE(pcm.byteLength, 40);
writeFileSync(out, Buffer.concat([header, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength)]));
console.log(`${(pcm.length / 8_000).toFixed(1)} s of the call's audio written to ${out}`);
