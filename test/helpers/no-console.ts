/**
 * Stray console output fails the test that printed it (house style: quiet logs). Set
 * TEST_ALLOW_CONSOLE=1 while debugging.
 */
import { afterEach } from 'vitest';

const printed: string[] = [];
if (!process.env.TEST_ALLOW_CONSOLE) {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    console[method] = (...args: unknown[]) => {
      printed.push(`console.${method}: ${args.map(String).join(' ').slice(0, 200)}`);
    };
  }
  afterEach(() => {
    if (printed.length === 0) return;
    const lines = printed.splice(0);
    throw new Error(`unexpected console output:\n${lines.join('\n')}`);
  });
}
