/** The README's tables stay in step with the code: every error code and every client event is documented. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BETA_CLIENT_EVENT_SCHEMAS,
  CLIENT_EVENT_SCHEMAS,
  ERROR_CODES,
} from '../../../protocol/realtime/index.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every error code in the error table', () => {
    const missing = Object.keys(ERROR_CODES).filter((code) => !readme.includes(`| \`${code}\` |`));
    expect(missing).toEqual([]);
  });

  it('lists every client event, GA and beta', () => {
    const events = new Set([...Object.keys(CLIENT_EVENT_SCHEMAS), ...Object.keys(BETA_CLIENT_EVENT_SCHEMAS)]);
    expect([...events].filter((e) => !readme.includes(`\`${e}\``))).toEqual([]);
  });
});
