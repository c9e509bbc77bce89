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

function rate(n: number, ms: number): string {
  return `${Math.round((n * 1000) / ms).toLocaleString('en-US')}/s`;
}

async function run(n: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kv-mvcc-bench-'));
  try {
    const value = Buffer.alloc(64, 'v');
    let store = await KVStore.open(await Backend.open(dir));
    const before = heap();
    // puts: one revision each, committed every 100 (one apply batch)
    let t = performance.now();
    for (let i = 0; i < n; i++) {
      store.put({ key: key(i), value });
      if (i % 100 === 99) store.commit(i + 1);
    }
    store.commit(n);
    const putMs = performance.now() - t;
    const withCache = heap() - before;
    // point ranges of random keys (values from the cache)
    const reads = Math.min(n, 200_000);
    let x = 12345;
    const next = () => {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      return x % n;
    };
    t = performance.now();
    for (let i = 0; i < reads; i++) store.range({ key: key(next()) });
    const getMs = performance.now() - t;
    // 10-key ranges with a limit
    const scans = 20_000;
    t = performance.now();
    for (let i = 0; i < scans; i++) store.range({ key: key(next()), rangeEnd: Buffer.from([0]), limit: 10 });
    const scanMs = performance.now() - t;
    // txn: compare + put (compare-and-swap)
    const txns = Math.min(n, 50_000);
    t = performance.now();
    for (let i = 0; i < txns; i++) {
      const k = key(next());
      store.txn({
        compare: [{ key: k, target: 0, result: 1, version: 0 }],
        success: [{ put: { key: k, value } }],
      });
      if (i % 100 === 99) store.commit(n + i);
    }
    const txnMs = performance.now() - t;
    await store.close();
    // reopen: rebuild the index from RocksDB, measure the index alone (cache empty)
    store = undefined as unknown as KVStore;
    const base = heap();
    t = performance.now();
    store = await KVStore.open(await Backend.open(dir), { cacheBytes: 0 });
    const openMs = performance.now() - t;
    const indexBytes = heap() - base;
    // uncached point reads go to RocksDB
    t = performance.now();
    const cold = Math.min(reads, 50_000);
    for (let i = 0; i < cold; i++) store.range({ key: key(next()) });
    const coldMs = performance.now() - t;
    const disk = store.backend.approximateSize();
    await store.close();
    console.log(`keys: ${n.toLocaleString('en-US')} (key ~36 B, value 64 B)`);
    console.log(`  put (1 rev each, commit per 100):  ${rate(n, putMs)}`);
    console.log(`  range, 1 key (cached values):      ${rate(reads, getMs)}`);
    console.log(`  range, 10 keys (limit 10):         ${rate(scans, scanMs)}`);
    console.log(`  txn compare+put:                   ${rate(txns, txnMs)}`);
    console.log(`  range, 1 key (no cache, RocksDB):  ${rate(cold, coldMs)}`);
    console.log(`  reopen (index rebuild):            ${Math.round(openMs)} ms`);
    console.log(`  heap per key, index only:          ${Math.round(indexBytes / n)} B`);
    console.log(`  heap per key, index + value cache: ${Math.round(withCache / n)} B`);
    console.log(`  RocksDB size estimate:             ${Math.round(disk / 1024 / 1024)} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const full = process.argv.includes('--full');
  if (!(globalThis as { gc?: unknown }).gc) console.log('(run with --expose-gc for memory figures)');
  await run(100_000);
  if (full) await run(1_000_000);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
