// A child process applies batches and is SIGKILLed at random points; on reopen the store must be
// consistent and equal the reference model replayed up to the store's consistent index.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Backend } from './backend';
import { applyToStore, batchOps, compactionTarget, type WorkOp } from './crash-workload';
import { KVStore } from './kv-store';
import { tempDir } from './test-dir';

interface MKV {
  value: string;
  create: number;
  mod: number;
  version: number;
  lease: bigint;
}

/** Current state plus a per-revision log, enough to answer reads at any revision. */
class Model {
  rev = 1;
  compactRev = 0;
  state = new Map<string, MKV>();
  log: { rev: number; key: string; kv?: MKV }[] = [];

  private put(key: string, value: string, lease: bigint, rev: number): void {
    const prev = this.state.get(key);
    const kv = {
      value,
      lease,
      mod: rev,
      create: prev ? prev.create : rev,
      version: prev ? prev.version + 1 : 1,
    };
    this.state.set(key, kv);
    this.log.push({ rev, key, kv });
  }

  private del(key: string, end: string | undefined, rev: number): number {
    const keys = [...this.state.keys()]
      .filter((k) => (end === undefined ? k === key : k >= key && k < end))
      .sort();
    for (const k of keys) {
      this.state.delete(k);
      this.log.push({ rev, key: k });
    }
    return keys.length;
  }

  apply(op: WorkOp): void {
    const rev = this.rev + 1;
    if ('put' in op) this.put(op.put.key, op.put.value, op.put.lease, rev);
    else if ('del' in op) {
      if (this.del(op.del.key, op.del.end, rev) === 0) return;
    } else {
      const branch = this.state.has(op.txn.ifExists) ? op.txn.success : op.txn.otherwise;
      let changed = false;
      for (const r of branch) {
        if ('put' in r) {
          this.put(Buffer.from(r.put.key).toString(), Buffer.from(r.put.value ?? []).toString(), 0n, rev);
          changed = true;
        } else if ('deleteRange' in r)
          changed = this.del(Buffer.from(r.deleteRange.key).toString(), undefined, rev) > 0 || changed;
      }
      if (!changed) return;
    }
    this.rev = rev;
  }

  /** Sorted "key=value@mod/create/version/lease" lines at `rev`. */
  at(rev: number): string[] {
    const s = new Map<string, MKV>();
    for (const e of this.log) {
      if (e.rev > rev) break;
      if (e.kv) s.set(e.key, e.kv);
      else s.delete(e.key);
    }
    return [...s]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, kv]) => `${k}=${kv.value}@${kv.mod}/${kv.create}/${kv.version}/${kv.lease}`);
  }
}

function storeAt(store: KVStore, rev: number): string[] {
  return store
    .range({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]), revision: rev })
    .kvs.map(
      (kv) =>
        `${Buffer.from(kv.key).toString()}=${Buffer.from(kv.value).toString()}@${kv.modRevision}/${kv.createRevision}/${kv.version}/${kv.lease}`,
    );
}

function runChild(dir: string, seed: number, killAfterMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'crash-workload.js'), dir, String(seed)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      // start the clock once the child has opened the store
      if (timer === undefined && d.toString().includes('ready'))
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal === 'SIGKILL' || code === 0) resolve();
      else reject(new Error(`child exited with ${code ?? signal}`));
    });
  });
}

const dir = tempDir();
after(() => dir.remove());

test('SIGKILLed writer: reopened store equals the model at its consistent index', async (t) => {
  const seed = 7;
  const path = join(dir.path, 'crash');
  const model = new Model();
  let applied = 0;
  let prevIndex = 0;
  const kills = [40, 150, 90, 260, 120];
  const generations: string[] = [];
  for (const [round, ms] of kills.entries()) {
    await runChild(path, seed, ms);
    // the child defragments every 40 batches: which copy is in charge, and what a kill left beside it
    generations.push(
      readdirSync(path)
        .filter((f) => f.startsWith('gen-') || f === 'ACTIVE')
        .join('+') || 'gen-0',
    );
    const store = await KVStore.open(await Backend.open(path));
    try {
      const ci = store.consistentIndex;
      assert.ok(ci >= prevIndex, `round ${round}: consistent index went back (${ci} < ${prevIndex})`);
      prevIndex = ci;
      // replay the same batches into the model, up to what the store says it applied
      for (let n = applied + 1; n <= ci; n++) {
        for (const op of batchOps(seed, n)) model.apply(op);
        const target = compactionTarget(n, model.rev, model.compactRev);
        if (target !== undefined) model.compactRev = target;
      }
      applied = ci;
      assert.equal(store.rev, model.rev, `round ${round}: revision at index ${ci}`);
      assert.equal(store.compactRevision, model.compactRev, `round ${round}: compact revision`);
      assert.deepEqual(storeAt(store, 0), model.at(model.rev), `round ${round}: current state`);
      // history between the compaction and the head is intact too
      for (
        let rev = Math.max(model.compactRev, 1);
        rev <= model.rev;
        rev += Math.max(1, Math.floor((model.rev - model.compactRev) / 10))
      )
        assert.deepEqual(storeAt(store, rev), model.at(rev), `round ${round}: state at ${rev}`);
      // no row below the compaction is left behind except the kept ones
      const h1 = store.hashKV(0);
      assert.equal(h1.revision, model.rev);
    } finally {
      await store.close();
    }
  }
  t.diagnostic(
    `batches applied across ${kills.length} kills: ${applied}, revision ${model.rev}, compacted at ${model.compactRev}; backend directory after each kill: ${generations.join(', ')}`,
  );
  assert.ok(applied > 20, `the child applied ${applied} batches`);
  // a final clean run to the end of a short workload also recovers exactly
  const store = await KVStore.open(await Backend.open(path));
  for (let n = store.consistentIndex + 1; n <= applied + 10; n++) {
    for (const op of batchOps(seed, n)) {
      applyToStore(store, op);
      model.apply(op);
    }
    store.commit(n);
  }
  assert.deepEqual(storeAt(store, 0), model.at(model.rev));
  await store.close();
});
