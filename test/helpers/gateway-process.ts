/** The gateway as its own process, as `npm start` runs it (`node --import tsx src/main.ts`). */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

/** Start-up includes compiling TypeScript and warming espeak-ng. */
export const GATEWAY_START_TIMEOUT_MS = 30_000;
/** Settings of the test's own environment that would change which providers the gateway uses. */
const PROVIDER_SETTINGS = /^(DEEPGRAM|GROQ|CEREBRAS|ANTHROPIC|CARTESIA)_|^GATEWAY_|^NODE_EXTRA_CA_CERTS$/;

/** A running gateway process. */
export interface GatewayProcess {
  child: ChildProcess;
  port: number;
  /** Its log (stderr) so far, in chunks as they came. */
  logs: string[];
}

/**
 * Starts the gateway with the test's environment minus provider settings, plus `env`; resolves
 * with the port once it logs `gateway listening` (on `ws://` or, with TLS set, `wss://`).
 */
export async function spawnGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !PROVIDER_SETTINGS.test(k)),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...inherited, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`gateway did not start:\n${logs.join('')}`)),
      GATEWAY_START_TIMEOUT_MS,
    );
    child.stderr!.on('data', (d: Buffer) => {
      logs.push(d.toString());
      const m = /"url":"wss?:\/\/127\.0\.0\.1:(\d+)[^\n]*"msg":"gateway listening"/.exec(logs.join(''));
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}:\n${logs.join('')}`)));
  });
  return { child, port, logs };
}
