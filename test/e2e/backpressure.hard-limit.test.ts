/** A reader cut at MAX_OUTBOUND_BUFFER_BYTES: its session stops generating and its slot comes back promptly. */
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { TestClient } from '../helpers/ws-client.js';

let gw: TestGateway | null = null;
afterEach(async () => {
  await gw?.close();
  gw = null;
});

async function waitUntil(pred: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await pred())) {
    if (performance.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('hard outbound limit', () => {
  it('closes the session at once and cuts a socket that does not answer the close', async () => {
    const delta = 'x'.repeat(4_000);
    let pulled = 0;
    gw = await startGateway({
      env: { OUTBOUND_HIGH_WATER_BYTES: '65536', MAX_OUTBOUND_BUFFER_BYTES: '131072' },
      llm: () =>
        (function* () {
          for (let i = 0; i < 20_000; i++) {
            pulled++;
            yield { type: 'wait' as const, ms: 1 };
            yield { type: 'text' as const, delta };
          }
          yield { type: 'done' as const, finishReason: 'stop' as const, usage: null };
        })() as never,
    });
    const c = await TestClient.connect(gw.url);
    await c.next('session.created');
    const socket = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    c.send({ type: 'response.create', response: { output_modalities: ['text'] } });
    const metric = gw.gateway.metrics.registry.getSingleMetric(
      'realtime_gateway_outbound_backpressure_total',
    )!;
    await waitUntil(
      async () => (await metric.get()).values.some((v) => v.labels.action === 'closed'),
      10_000,
    );
    await new Promise((r) => setTimeout(r, 100));
    const pulledAfterCut = pulled;
    await waitUntil(() => gw!.gateway.sessionCount === 0, 4_000);
    // Nothing was generated after the cut.
    expect(pulled).toBe(pulledAfterCut);
    socket.resume();
  }, 20_000);
});
