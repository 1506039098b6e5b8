import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { TestClient } from '../helpers/ws-client.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw.close());

describe('smoke', () => {
  it('runs a text turn', async () => {
    const c = await TestClient.connect(`${gw.url}?model=test`);
    await c.next('session.created');
    c.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'], audio: { input: { turn_detection: null } } } });
    await c.next('session.updated');
    c.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello there' }] } });
    c.send({ type: 'response.create' });
    const done = await c.next('response.done');
    console.log(c.types().join('\n'));
    console.log(JSON.stringify(done, null, 1));
    expect(done).toBeTruthy();
    await c.close();
  });
});
