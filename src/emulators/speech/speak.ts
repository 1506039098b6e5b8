/**
 * Offline speech for the emulated TTS providers: espeak-ng audio at any rate, with one timing per
 * whitespace-separated word of the input (punctuation kept, as a provider's timestamps show it).
 */
import type { EspeakEvent } from './espeak.js';
import { ESPEAK_SAMPLE_RATE, espeakSynthesize } from './espeak.js';
import { resampleRational } from './rational-resampler.js';

/** A word of the input text and where it sits in the audio, in ms from the audio's start. */
export interface SpokenWord {
  word: string;
  startMs: number;
  endMs: number;
}

/** Synthesized speech: PCM16 at the requested rate, and the timing of each input word. */
export interface Speech {
  pcm: Int16Array;
  sampleRate: number;
  words: SpokenWord[];
}

/** What to speak with. */
export interface SpeakOptions {
  /** espeak-ng voice name, e.g. `en-us` or `es`. */
  voice: string;
  /** Output rate in Hz. */
  sampleRate: number;
  /** 1 is espeak-ng's normal rate. */
  speed?: number;
}

/** Language codes (ISO 639-1, as providers take them) whose espeak-ng voice has another name. */
const VOICE_OF_LANGUAGE: Readonly<Record<string, string>> = {
  en: 'en-us',
  pt: 'pt-br',
  zh: 'cmn',
};

/** The espeak-ng voice for a provider language code (`en` -> `en-us`; `es-MX` -> `es`). */
export function espeakVoiceFor(language: string): string {
  const primary = language.toLowerCase().split(/[-_]/)[0] ?? '';
  return VOICE_OF_LANGUAGE[primary] ?? primary;
}

/**
 * Syntheses kept for reuse. An emulated conversation repeats a handful of replies (`You said: ...`),
 * and the espeak-ng worker is one thread: without reuse, a few hundred concurrent sessions queue
 * more synthesis than it can do in real time. 32 sentences of at most 200 characters are at most
 * about 25 MB of 24 kHz PCM.
 */
const SPEECH_CACHE_ENTRIES = 32;
/** Longer texts are synthesized every time: rarely repeated, and their audio is large. */
const SPEECH_CACHE_MAX_CHARS = 200;
/** Least recently used first (Map order); a pending synthesis is shared by every request for it. */
const speechCache = new Map<string, Promise<Speech>>();

/**
 * Speaks `text`; rejects with UnsupportedVoiceError for an unknown voice. The result may be shared
 * with other callers (short texts are cached), so it must not be modified.
 */
export function speak(text: string, opts: SpeakOptions): Promise<Speech> {
  if (text.length > SPEECH_CACHE_MAX_CHARS) return synthesize(text, opts);
  const key = JSON.stringify([text, opts.voice, opts.sampleRate, opts.speed ?? 1]);
  let speech = speechCache.get(key);
  if (speech) speechCache.delete(key);
  else {
    speech = synthesize(text, opts);
    // A failed synthesis is not kept: the next request tries again.
    speech.catch(() => speechCache.delete(key));
  }
  speechCache.set(key, speech);
  for (const oldest of speechCache.keys()) {
    if (speechCache.size <= SPEECH_CACHE_ENTRIES) break;
    speechCache.delete(oldest);
  }
  return speech;
}

async function synthesize(text: string, opts: SpeakOptions): Promise<Speech> {
  const raw = await espeakSynthesize(text, opts.voice, opts.speed ?? 1);
  const pcm = resampleRational(raw.samples, ESPEAK_SAMPLE_RATE, opts.sampleRate);
  const durationMs = (pcm.length * 1000) / opts.sampleRate;
  return { pcm, sampleRate: opts.sampleRate, words: wordTimings(text, raw.events, durationMs) };
}

/**
 * Maps espeak's word events (which split numbers, drop punctuation and count code points from 1)
 * onto the whitespace-separated tokens of `text`: a token spans its first to its last espeak word;
 * a token espeak did not voice gets a zero-length timing where the previous one ended.
 */
export function wordTimings(text: string, events: EspeakEvent[], durationMs: number): SpokenWord[] {
  // Code point index -> UTF-16 index, since espeak counts code points.
  const utf16At: number[] = [];
  let i = 0;
  for (const ch of text) {
    utf16At.push(i);
    i += ch.length;
  }
  utf16At.push(i);
  const spoken: { at: number; startMs: number; endMs: number }[] = [];
  for (let k = 0; k < events.length; k++) {
    const e = events[k]!;
    if (e.type !== 'word') continue;
    // A word lasts until whatever espeak reports next: the next word, or the end of its clause.
    const next = events.slice(k + 1).find((n) => n.ms >= e.ms);
    spoken.push({
      at: utf16At[e.pos - 1] ?? text.length,
      startMs: Math.min(e.ms, durationMs),
      endMs: Math.min(next?.ms ?? durationMs, durationMs),
    });
  }
  const words: SpokenWord[] = [];
  let lastEndMs = 0;
  for (const m of text.matchAll(/\S+/g)) {
    const start = m.index;
    const end = start + m[0].length;
    const inside = spoken.filter((s) => s.at >= start && s.at < end);
    const first = inside[0];
    const last = inside.at(-1);
    const startMs = first ? Math.max(first.startMs, lastEndMs) : lastEndMs;
    const endMs = last ? Math.max(last.endMs, startMs) : startMs;
    words.push({ word: m[0], startMs, endMs });
    lastEndMs = endMs;
  }
  return words;
}
