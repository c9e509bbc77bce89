// Backend <-> bbolt snapshot file: export time, the longest event-loop stall while exporting (what a
// Maintenance.Snapshot costs the server's other clients), file size, and the import a restore does.
//   node dist/bench/snapshot-bench.js [keys=200000] [valueBytes=100]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoltReader } from '@kv/bbolt';
import { Backend, KVStore } from '@kv/mvcc';
import { writeBackendBolt } from '../backend-file/bolt-export.js';
import { loadBoltIntoBackend } from '../backend-file/bolt-import.js';

async function main(): Promise<void> {
  const keys = Number(process.argv[2] ?? 200_000);
  const valueBytes = Number(process.argv[3] ?? 100);
  const dir = mkdtempSync(join(tmpdir(), 'snapshot-bench-'));
  try {
    const backend = await Backend.open(join(dir, 'src'));
    const kv = await KVStore.open(backend);
    const value = Buffer.alloc(valueBytes, 'v');
    for (let i = 0; i < keys; i += 1000) {
      const txn = kv.write();
      for (let j = i; j < Math.min(keys, i + 1000); j++) txn.put(Buffer.from(`/registry/key/${j}`), value);
      txn.end();
      kv.commit(i + 1);
    }

    let maxGap = 0;
    let last = performance.now();
    const tick = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 1);
    const file = join(dir, 'snap.db');
    const t0 = performance.now();
    const res = await writeBackendBolt(backend, file, { clusterVersion: '3.5.0' });
    const exportMs = performance.now() - t0;
    clearInterval(tick);
    await kv.close();

    const t1 = performance.now();
    const db = BoltReader.open(file);
    const into = await Backend.open(join(dir, 'dst'));
    const loaded = loadBoltIntoBackend(db, into, 1);
    db.close();
    await into.close();
    const importMs = performance.now() - t1;

    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    console.log(`keys ${keys}, value ${valueBytes} B`);
    console.log(
      `export: ${exportMs.toFixed(0)} ms, ${mb(statSync(file).size)} MiB (${res.pages} pages), longest event-loop stall ${maxGap.toFixed(1)} ms`,
    );
    console.log(`import (restore): ${importMs.toFixed(0)} ms, ${loaded.keys} revisions`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
