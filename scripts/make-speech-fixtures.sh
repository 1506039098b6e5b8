#!/usr/bin/env bash
# Regenerates the real-speech fixtures in test/fixtures/speech/ (raw PCM16 LE mono) from espeak-ng
# and sox, and writes fixtures.json with each file's duration and measured speech spans.
# Needs: espeak-ng 1.51 and sox 14.4.2 (`apt-get install -y espeak-ng sox`). The output is
# byte-for-byte repeatable: espeak-ng is deterministic, sox runs with -R (fixed noise seed) and -D
# (no dither). Usage: scripts/make-speech-fixtures.sh [OUT_DIR]
set -euo pipefail

OUT=${1:-"$(dirname "$0")/../test/fixtures/speech"}
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Every piece is built at 48 kHz, a common multiple of 8, 16 and 24 kHz, so every silence is a
# whole number of samples at each output rate.
BUILD_RATE=48000
LEAD_S=0.5   # longer than the 300 ms default prefix padding, so audio_start_ms is not floored at 0
TRAIL_S=0.3  # short to keep the files small: tests append zeros when they need a turn to end

# say VOICE TEXT OUT: speak TEXT, cut espeak-ng's own leading/trailing silence (anything under
# -60 dBFS for 5 ms), normalize to a -3 dBFS peak (the Spanish voice clips otherwise), mono 16-bit
# at BUILD_RATE.
say() {
  espeak-ng -v "$1" -w "$TMP/raw.wav" "$2"
  sox -R -D "$TMP/raw.wav" -r $BUILD_RATE -b 16 -c 1 "$3" \
    silence 1 0.005 0.1% reverse silence 1 0.005 0.1% reverse gain -n -3 rate -v
}

# gap SECONDS OUT: digital silence.
gap() { sox -R -D -n -r $BUILD_RATE -b 16 -c 1 "$2" trim 0 "$1"; }

# emit NAME WAV RATES...: write NAME.<rate/1000>k.pcm at each rate.
emit() {
  local name=$1 wav=$2
  shift 2
  for rate in "$@"; do
    sox -R -D "$wav" -r "$rate" -t raw -e signed -b 16 -L -c 1 "$OUT/$name.$((rate / 1000))k.pcm" rate -v
  done
}

gap $LEAD_S "$TMP/lead.wav"
gap $TRAIL_S "$TMP/trail.wav"
gap 0.7 "$TMP/gap700.wav"
gap 0.25 "$TMP/gap250.wav"

say en-us 'Hello there.' "$TMP/hello.wav"
say en-us 'What is the weather like in Paris today?' "$TMP/weather.wav"
say es '¿Qué tiempo hace hoy en Madrid?' "$TMP/madrid.wav"
say en-us 'What time is it?' "$TMP/time.wav"
say en-us 'I would like a coffee' "$TMP/coffee.wav"
say en-us 'with milk.' "$TMP/milk.wav"

sox "$TMP/lead.wav" "$TMP/hello.wav" "$TMP/trail.wav" "$TMP/en-hello.wav"
sox "$TMP/lead.wav" "$TMP/weather.wav" "$TMP/trail.wav" "$TMP/en-weather.wav"
sox "$TMP/lead.wav" "$TMP/madrid.wav" "$TMP/trail.wav" "$TMP/es-madrid.wav"
sox "$TMP/lead.wav" "$TMP/hello.wav" "$TMP/gap700.wav" "$TMP/time.wav" "$TMP/trail.wav" "$TMP/two-turns.wav"
sox "$TMP/lead.wav" "$TMP/coffee.wav" "$TMP/gap250.wav" "$TMP/milk.wav" "$TMP/trail.wav" "$TMP/inner-pause.wav"
# Non-speech controls: a steady 440 Hz tone at -10 dBFS and white noise at -20 dBFS, 1 s each.
sox -R -D -n -r $BUILD_RATE -b 16 -c 1 "$TMP/tone-440.wav" synth 1 sine 440 vol 0.316
sox -R -D -n -r $BUILD_RATE -b 16 -c 1 "$TMP/white-noise.wav" synth 1 whitenoise vol 0.1

# 8 and 16 kHz are the VAD's native rates. 24 kHz (the Realtime default input) only for two-turns,
# to keep the set well under 1 MB: every 24 kHz file would add 0.5 MB.
emit en-hello "$TMP/en-hello.wav" 8000 16000
emit en-weather "$TMP/en-weather.wav" 8000 16000
emit es-madrid "$TMP/es-madrid.wav" 8000 16000
emit two-turns "$TMP/two-turns.wav" 8000 16000 24000
emit inner-pause "$TMP/inner-pause.wav" 8000 16000
emit tone-440 "$TMP/tone-440.wav" 8000 16000
emit white-noise "$TMP/white-noise.wav" 8000 16000

# spans FILE.16k.pcm: speech spans in ms, measured on the 16 kHz output: samples with |x| >= 64
# (-54 dBFS) are active; runs of inactive samples of at least 150 ms split spans.
spans() {
  sox -t raw -e signed -b 16 -L -c 1 -r 16000 "$1" -t dat - | awk '
    /^;/ { next }
    { n++; v = $2 * 32768; if (v < 0) v = -v
      if (v >= 64) { if (start == "" ) start = n; else if (n - last > 2400) { out = out sprintf("%s[%d,%d]", sep, (start - 1) / 16, last / 16); sep = ","; start = n }; last = n } }
    END { if (start != "") out = out sprintf("%s[%d,%d]", sep, (start - 1) / 16, last / 16); print "[" out "]" }'
}

{
  echo '{'
  echo '  "format": "raw PCM16 LE mono; name.<rate in kHz>k.pcm",'
  echo '  "files": {'
  first=1
  for name in en-hello en-weather es-madrid two-turns inner-pause tone-440 white-noise; do
    f="$OUT/$name.16k.pcm"
    bytes=$(stat -c %s "$f")
    rates=$(for k in 8 16 24; do if [ -e "$OUT/$name.${k}k.pcm" ]; then echo -n "${k}000,"; fi; done)
    case $name in tone-440 | white-noise) sp='[]' ;; *) sp=$(spans "$f") ;; esac
    [ $first = 1 ] || echo ','
    first=0
    printf '    "%s": { "durationMs": %d, "speechMs": %s, "rates": [%s] }' \
      "$name" $((bytes / 32)) "$sp" "${rates%,}"
  done
  echo
  echo '  }'
  echo '}'
} >"$OUT/fixtures.json"

cat "$OUT/fixtures.json"
du -cb "$OUT"/*.pcm | tail -1
