import { readdirSync, readFileSync } from 'node:fs';
import * as prom from 'prom-client';

// The process families etcd's Go client library exports (process_*), prom-client's nodejs_* in place of
// Go's go_*, and etcd's own os_fd_* gauges. Linux: read from /proc, absent where /proc is not.

/** A limit from /proc/self/limits ("unlimited" as Go's procfs reports it: the largest uint64). */
function procLimit(name: string): number | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
  const line = text.split('\n').find((l) => l.startsWith(name));
  if (line === undefined) return undefined;
  const soft = line.slice(name.length).trim().split(/\s+/)[0];
  return soft === 'unlimited' ? 2 ** 64 : Number(soft);
}

function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

let registered = false;

export function registerProcessMetrics(): void {
  if (registered) return;
  registered = true;
  prom.collectDefaultMetrics();
  new prom.Gauge({
    name: 'process_virtual_memory_max_bytes',
    help: 'Maximum amount of virtual memory available in bytes.',
    collect() {
      const v = procLimit('Max address space');
      if (v !== undefined) this.set(v);
    },
  });
  new prom.Gauge({
    name: 'os_fd_used',
    help: 'The number of used file descriptors.',
    collect() {
      const v = openFds();
      if (v !== undefined) this.set(v);
    },
  });
  new prom.Gauge({
    name: 'os_fd_limit',
    help: 'The file descriptor limit.',
    collect() {
      const v = procLimit('Max open files');
      if (v !== undefined) this.set(v);
    },
  });
}
