/**
 * Kaiser-windowed sinc design, shared by the streaming resampler and the emulator's rational one
 * (the same design serves any rate ratio; only the polyphase layout differs).
 */

/** Greatest common divisor, for reducing a rate ratio. */
export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (power series; converges fast for beta < 20). */
export function besselI0(x: number): number {
  const half = x / 2;
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 100; k++) {
    term *= half / k;
    const squared = term * term;
    sum += squared;
    if (squared < sum * 1e-17) break;
  }
  return sum;
}

/** Kaiser's estimates: filter length (taps) and window shape for an attenuation and a transition width. */
export function kaiserEstimate(
  attenuationDb: number,
  transitionRadPerSample: number,
): { length: number; beta: number } {
  return {
    length: (attenuationDb - 7.95) / (2.285 * transitionRadPerSample),
    beta: 0.1102 * (attenuationDb - 8.7),
  };
}

/**
 * One coefficient of a Kaiser-windowed sinc low-pass: `cutoff` in cycles per sample, `x` the tap's
 * offset from the centre in samples, `r` its place in the window (-1 to 1; the window is 0
 * beyond), `windowNorm` = `besselI0(beta)`.
 */
export function windowedSinc(cutoff: number, x: number, r: number, beta: number, windowNorm: number): number {
  const ideal = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
  return (ideal * besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r)))) / windowNorm;
}
