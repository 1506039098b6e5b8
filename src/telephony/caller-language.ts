/** The language a caller is greeted in, from their number: `+52` Spanish, `+1` English, by default. */

/** The language of the longest prefix `number` starts with, else `fallback`. */
export function languageForCaller(
  number: string | undefined,
  byPrefix: readonly (readonly [prefix: string, language: string])[],
  fallback: string,
): string {
  const n = number?.replace(/[\s()-]/g, '') ?? '';
  let best: readonly [string, string] | undefined;
  for (const entry of byPrefix) {
    if (n.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
  }
  return best?.[1] ?? fallback;
}
