// Benchmark: puts/s, range/s and memory per key over N keys. Not a test: it prints figures.
//   node --expose-gc dist/bench/bench.js            # 100k keys (short)
//   node --expose-gc dist/bench/bench.js --full     # also 1M keys
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../backend';
import { KVStore } from '../kv-store';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function key(i: number): Buffer {
  return Buffer.from(`/registry/pods/ns-${i % 100}/pod-${String(i).padStart(8, '0')}`);
}

/** Wall-clock rate, and CPU microseconds per op (steadier on a shared machine). */
function rate(n: number, ms: number, cpuUs: number): string {
  const r = `${Math.round((n * 1000) / ms).toLocaleString('en-US')}/s`;
  return `${r.padStart(10)}   ${(cpuUs / n).toFixed(1)} us CPU/op`;
}

let cpu0 = process.cpuUsage();
let t0 = 0;
function start(): void {
  cpu0 = process.cpuUsage();
  t0 = performance.now();
}
function stop(): [number, number] {
  const c = process.cpuUsage(cpu0);
  return [performance.now() - t0, c.user + c.system];
}

async function run(n: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kv-mvcc-bench-'));
  try {
    const value = Buffer.alloc(64, 'v');
    let store = await KVStore.open(await Backend.open(dir));
    const before = heap();
    // puts: one revision each, committed every 100 (one apply batch)
    start();
    for (let i = 0; i < n; i++) {
      store.put({ key: key(i), value });
      if (i % 100 === 99) store.commit(i + 1);
    }
    store.commit(n);
    const put = stop();
    const withCache = heap() - before;
    // point ranges of random keys (values from the cache)
    const reads = Math.min(n, 200_000);
    let x = 12345;
    const next = () => {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      return x % n;
    };
    start();
    for (let i = 0; i < reads; i++) store.range({ key: key(next()) });
    const get = stop();
    // 10-key ranges with a limit
    const scans = 20_000;
    start();
    for (let i = 0; i < scans; i++) store.range({ key: key(next()), rangeEnd: Buffer.from([0]), limit: 10 });
    const scan = stop();
    // txn: compare + put (compare-and-swap)
    const txns = Math.min(n, 50_000);
    start();
    for (let i = 0; i < txns; i++) {
      const k = key(next());
      store.txn({
        compare: [{ key: k, target: 0, result: 1, version: 0 }],
        success: [{ put: { key: k, value } }],
      });
      if (i % 100 === 99) store.commit(n + i);
    }
    const txn = stop();
    await store.close();
    // reopen: rebuild the index from RocksDB, measure the index alone (cache empty)
    store = undefined as unknown as KVStore;
    const base = heap();
    start();
    store = await KVStore.open(await Backend.open(dir), { cacheBytes: 0 });
    const open = stop();
    const indexBytes = heap() - base;
    // uncached point reads go to RocksDB
    start();
    const cold = Math.min(reads, 50_000);
    for (let i = 0; i < cold; i++) store.range({ key: key(next()) });
    const coldRead = stop();
    const disk = store.backend.approximateSize();
    // compaction at the head (the txns superseded up to 50k rows), then a defragment; a 1 ms timer
    // measures how long the event loop is held at most meanwhile
    const compacted = store.compact(store.rev);
    store.commit(n + txns + 1);
    await compacted;
    let last = performance.now();
    let stall = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      stall = Math.max(stall, now - last);
      last = now;
    }, 1);
    const defrag = await store.backend.defragment();
    clearInterval(timer);
    await store.close();
    console.log(`keys: ${n.toLocaleString('en-US')} (key ~36 B, value 64 B)`);
    console.log(`  put (1 rev each, commit per 100):  ${rate(n, ...put)}`);
    console.log(`  range, 1 key (cached values):      ${rate(reads, ...get)}`);
    console.log(`  range, 10 keys (limit 10):         ${rate(scans, ...scan)}`);
    console.log(`  txn compare+put:                   ${rate(txns, ...txn)}`);
    console.log(`  range, 1 key (no cache, RocksDB):  ${rate(cold, ...coldRead)}`);
    console.log(
      `  reopen (index rebuild):            ${Math.round(open[0])} ms (${Math.round(open[1] / 1000)} ms CPU)`,
    );
    console.log(`  heap per key, index only:          ${Math.round(indexBytes / n)} B`);
    console.log(`  heap per key, index + value cache: ${Math.round(withCache / n)} B`);
    console.log(`  RocksDB size estimate:             ${Math.round(disk / 1024 / 1024)} MiB`);
    const mib = (b: number) => (b / 1024 / 1024).toFixed(1);
    console.log(
      `  defragment after compaction:       ${defrag.ms} ms for ${defrag.rows.toLocaleString('en-US')} rows, ` +
        `size ${mib(defrag.before.total)} -> ${mib(defrag.after.total)} MiB (in use before ${mib(defrag.before.inUse)}), ` +
        `longest event-loop stall ${Math.round(stall)} ms`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const full = process.argv.includes('--full');
  if (!(globalThis as { gc?: unknown }).gc) console.log('(run with --expose-gc for memory figures)');
  console.log(`node ${process.version}, load average ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
  await run(100_000);
  if (full) await run(1_000_000);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
