/* global process */
// Preloaded into the gateway child of the capacity benchmarks (`node --import`): answers the
// benchmark over the IPC channel with the event loop's delay, its GCs and the process's active handles,
// so the gateway's own code carries no benchmark instrumentation. Plain JS: it runs before any
// TypeScript loader would.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import v8 from 'node:v8';

// 10 ms sampling: fine enough for a p99 in ms, cheap enough not to add load of its own.
const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
const ms = (ns) => Math.round(ns / 1e4) / 100;
// The event loop's busy share since the last reset (what MAX_EVENT_LOOP_UTILIZATION reads).
let eluFrom = performance.eventLoopUtilization();
// Every GC since the last reset, with the heap before and after it. Started by the first reset
// only: a run that never asks (the soak) must not carry a record that grows with every GC.
let gcProfiler = null;
let gcFrom = 0;

const promotedInto = (s) =>
  s.heapSpaceStatistics
    .filter((x) => x.spaceName === 'old_space' || x.spaceName === 'lo_space')
    .reduce((n, x) => n + x.spaceUsedSize, 0);

/**
 * The GCs since the last reset: scavenges, full GCs (mark-compact), their time, and how much old
 * space grew across the scavenges (what they promoted: objects only a full GC will free).
 */
function gcSummary() {
  const result = gcProfiler?.stop();
  const seconds = (performance.now() - gcFrom) / 1000;
  gcProfiler = new v8.GCProfiler();
  gcProfiler.start();
  gcFrom = performance.now();
  let scavenges = 0;
  let fullGcs = 0;
  let cost = 0;
  let promoted = 0;
  for (const s of result?.statistics ?? []) {
    cost += s.cost;
    if (s.gcType === 'Scavenge') {
      scavenges++;
      promoted += promotedInto(s.afterGC) - promotedInto(s.beforeGC);
    } else if (s.gcType === 'MarkSweepCompact') fullGcs++;
  }
  return {
    seconds: Math.round(seconds * 10) / 10,
    scavenges,
    fullGcs,
    // Profile version 1 (Node 20) gives each GC's cost in microseconds; other versions are not
    // read rather than read wrong.
    ms: result?.version === 1 ? Math.round(cost / 100) / 10 : null,
    promotedMiB: Math.round((promoted / 2 ** 20) * 10) / 10,
  };
}

process.on('message', (msg) => {
  if (!msg || typeof msg !== 'object' || typeof msg.probe !== 'string') return;
  if (msg.probe === 'eld-reset') {
    // First: ending the GC record takes a moment, which must not count in the step's figures.
    gcSummary();
    histogram.reset();
    eluFrom = performance.eventLoopUtilization();
    process.send({ probe: msg.probe, id: msg.id });
  } else if (msg.probe === 'eld') {
    process.send({
      probe: msg.probe,
      id: msg.id,
      p50: ms(histogram.percentile(50)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.max),
      utilization: Math.round(performance.eventLoopUtilization(eluFrom).utilization * 1000) / 1000,
      gc: gcSummary(),
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
      // Per V8 space, live bytes and the pages V8 holds for it: tells objects that grow from a heap
      // that keeps more pages for the same objects.
      spaces: Object.fromEntries(
        v8
          .getHeapSpaceStatistics()
          .filter((s) => s.space_size > 0)
          .map((s) => [s.space_name, { usedMiB: mib(s.space_used_size), sizeMiB: mib(s.space_size) }]),
      ),
    });
  } else if (msg.probe === 'snapshot' && typeof msg.path === 'string') {
    // A heap snapshot pauses the gateway for seconds and leaves V8 with more pages: taken on request only.
    try {
      process.send({ probe: msg.probe, id: msg.id, file: v8.writeHeapSnapshot(msg.path) });
    } catch (err) {
      // Said rather than left to the benchmark's timeout.
      process.send({ probe: msg.probe, id: msg.id, error: String(err) });
    }
  } else if (msg.probe === 'handles') {
    const byType = {};
    for (const t of process.getActiveResourcesInfo()) byType[t] = (byType[t] ?? 0) + 1;
    process.send({ probe: msg.probe, id: msg.id, byType });
  }
});
// The channel must not keep a gateway that was told to stop alive.
process.channel?.unref();
