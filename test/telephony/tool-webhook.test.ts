/** The operator's tool webhook: its answer becomes the output, read only up to the limit. */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runPhoneTool } from '../../src/telephony/tool-webhook.js';

let server: Server | null = null;
afterEach(() => {
  server?.close();
  server = null;
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}
const CALL = { callSid: 'CA1', caller: '+1555', callId: 'c1', name: 'hours', arguments: '{}' };

describe('runPhoneTool', () => {
  it('stops reading a huge answer at 64 KB instead of buffering all of it', async () => {
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const url = await serve((req, res) => {
      req.resume();
      let n = 0;
      const pump = () => {
        while (n < 320) {
          n++;
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (n = 320));
      pump();
    });
    const out = await runPhoneTool(url, CALL, new AbortController().signal);
    expect(out.length).toBe(64 * 1024);
    expect(written).toBeLessThan(4 * 1024 * 1024);
  });

  it('gives the model an error it can explain for a refusal or no webhook', async () => {
    const url = await serve((req, res) => {
      req.resume();
      res.writeHead(500).end('boom');
    });
    expect(JSON.parse(await runPhoneTool(url, CALL, new AbortController().signal))).toEqual({
      error: "The tool 'hours' failed (HTTP 500).",
    });
    expect(await runPhoneTool(null, CALL, new AbortController().signal)).toContain(
      'no tool webhook is configured',
    );
  });
});
