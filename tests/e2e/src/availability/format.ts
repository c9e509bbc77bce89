import type { FaultBenchResult } from './fault-bench';

/** One line per server and fault: throughput, latency, the worst outage and the loss check. */
export function formatResult(r: FaultBenchResult): string {
  const worst = [...r.outages].sort((a, b) => b.outageMs - a.outageMs)[0];
  return [
    `${r.server.padEnd(4)} ${r.fault.padEnd(14)}`,
    `acked ${String(r.acked).padStart(6)} (${r.ackedPerSec.toFixed(0).padStart(5)}/s)`,
    `failed ${String(r.failed).padStart(5)}`,
    `p50 ${r.p50Ms.toFixed(1).padStart(6)} ms  p99 ${r.p99Ms.toFixed(1).padStart(7)} ms`,
    `faults ${r.outages.length}  longest outage ${r.maxOutageMs.toFixed(0).padStart(5)} ms${worst ? ` (${worst.what})` : ''}`,
    `longest ack gap ${r.maxGapMs.toFixed(0)} ms`,
    `lost ${r.lost.length}`,
  ].join('  ');
}
