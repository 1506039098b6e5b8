/**
 * TickCork: the frames a connection sends in one tick reach the socket as one write, the next
 * tick's in another; a burst past the flush size is written at once; a closed socket is left alone.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TickCork, corkFlushBytesFor } from '../../../src/server/tick-cork.js';

/** A socket stand-in that records each write it is handed: the byte count of each chunk in it. */
function recordingSocket(): { socket: Writable; writes: number[][] } {
  const writes: number[][] = [];
  const socket = new Writable({
    write(chunk: Buffer, _enc, cb) {
      writes.push([chunk.byteLength]);
      cb();
    },
    writev(chunks, cb) {
      writes.push(chunks.map((c) => (c.chunk as Buffer).byteLength));
      cb();
    },
  });
  return { socket, writes };
}

const tick = () => new Promise<void>((r) => process.nextTick(r));

describe('TickCork', () => {
  it('writes the sends of one tick together, and the next tick on its own', async () => {
    const { socket, writes } = recordingSocket();
    const cork = new TickCork(socket, 1_000);
    for (const n of [3, 4, 5]) {
      cork.hold();
      socket.write(Buffer.alloc(n));
    }
    expect(writes).toEqual([]);
    await tick();
    expect(writes).toEqual([[3, 4, 5]]);
    cork.hold();
    socket.write(Buffer.alloc(6));
    await tick();
    expect(writes).toEqual([[3, 4, 5], [6]]);
  });

  it('writes a burst at once once it holds the flush size', async () => {
    const { socket, writes } = recordingSocket();
    const cork = new TickCork(socket, 10);
    for (let i = 0; i < 3; i++) {
      cork.hold();
      socket.write(Buffer.alloc(6));
    }
    // The third send found 12 bytes held: those went out before it.
    expect(writes).toEqual([[6, 6]]);
    await tick();
    expect(writes).toEqual([[6, 6], [6]]);
  });

  it('leaves a destroyed socket alone', async () => {
    const { socket, writes } = recordingSocket();
    socket.destroy();
    const cork = new TickCork(socket, 10);
    cork.hold();
    expect(socket.writableCorked).toBe(0);
    await tick();
    expect(writes).toEqual([]);
  });

  it('flushes at a quarter of the high-water mark, at most 64 KiB', () => {
    expect(corkFlushBytesFor({ outboundHighWaterBytes: 4_096 })).toBe(1_024);
    expect(corkFlushBytesFor({ outboundHighWaterBytes: 1024 * 1024 })).toBe(64 * 1024);
  });
});
