/* global process */
// Preloaded into the gateway child of the capacity benchmarks (`node --import`): answers the
// benchmark over the IPC channel with the event loop's delay and the process's active handles,
// so the gateway's own code carries no benchmark instrumentation. Plain JS: it runs before any
// TypeScript loader would.
import { monitorEventLoopDelay } from 'node:perf_hooks';

// 10 ms sampling: fine enough for a p99 in ms, cheap enough not to add load of its own.
const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
const ms = (ns) => Math.round(ns / 1e4) / 100;

process.on('message', (msg) => {
  if (!msg || typeof msg !== 'object' || typeof msg.probe !== 'string') return;
  if (msg.probe === 'eld-reset') {
    histogram.reset();
    process.send({ probe: msg.probe, id: msg.id });
  } else if (msg.probe === 'eld') {
    process.send({
      probe: msg.probe,
      id: msg.id,
      p50: ms(histogram.percentile(50)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.max),
    });
  } else if (msg.probe === 'memory') {
    // Where the resident memory is: the V8 heap (live objects after a full GC, when the gateway
    // runs with --expose-gc) or outside it (Buffers, native allocations).
    globalThis.gc?.();
    const m = process.memoryUsage();
    const mib = (b) => Math.round((b / 2 ** 20) * 10) / 10;
    process.send({
      probe: msg.probe,
      id: msg.id,
      afterGc: typeof globalThis.gc === 'function',
      heapUsedMiB: mib(m.heapUsed),
      heapTotalMiB: mib(m.heapTotal),
      externalMiB: mib(m.external),
      arrayBuffersMiB: mib(m.arrayBuffers),
      rssMiB: mib(m.rss),
    });
  } else if (msg.probe === 'handles') {
    const byType = {};
    for (const t of process.getActiveResourcesInfo()) byType[t] = (byType[t] ?? 0) + 1;
    process.send({ probe: msg.probe, id: msg.id, byType });
  }
});
// The channel must not keep a gateway that was told to stop alive.
process.channel?.unref();
