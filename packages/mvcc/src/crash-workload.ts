// The crash test's workload: a deterministic sequence of applied batches (each several requests,
// then one commit with the batch number as consistent index), run by a child process that gets
// SIGKILLed. Exported so the test can replay the same batches into its reference model.
import { Backend } from './backend';
import { KVStore } from './kv-store';
import { CompareResult, CompareTarget, type RequestOp } from './request';

export type WorkOp =
  | { put: { key: string; value: string; lease: bigint } }
  | { del: { key: string; end?: string } }
  | { txn: { ifExists: string; success: RequestOp[]; otherwise: RequestOp[] } };

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = Array.from({ length: 40 }, (_, i) => `key/${String(i).padStart(2, '0')}`);

/** Requests of batch `n` (1-based) for `seed`. */
export function batchOps(seed: number, n: number): WorkOp[] {
  const rand = rng(seed * 1_000_003 + n);
  const key = () => KEYS[Math.floor(rand() * KEYS.length)];
  const ops: WorkOp[] = [];
  const count = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < count; i++) {
    const x = rand();
    if (x < 0.6)
      ops.push({
        put: { key: key(), value: `${n}.${i}.${Math.floor(rand() * 1e6)}`, lease: rand() < 0.1 ? 9n : 0n },
      });
    else if (x < 0.8) {
      const a = key();
      const b = key();
      ops.push({ del: rand() < 0.5 ? { key: a } : { key: a < b ? a : b, end: a < b ? b : a } });
    } else {
      const k1 = KEYS[Math.floor(rand() * 20)];
      const k2 = KEYS[20 + Math.floor(rand() * 20)];
      ops.push({
        txn: {
          ifExists: key(),
          success: [
            { put: { key: Buffer.from(k1), value: Buffer.from(`t${n}`) } },
            { deleteRange: { key: Buffer.from(k2) } },
          ],
          otherwise: [{ put: { key: Buffer.from(k2), value: Buffer.from(`f${n}`) } }],
        },
      });
    }
  }
  return ops;
}

/** Compaction rule: every 25th batch compacts to 5 revisions behind the head. */
export function compactionTarget(n: number, rev: number, compactRev: number): number | undefined {
  if (n % 25 !== 0) return undefined;
  const target = rev - 5;
  return target > compactRev ? target : undefined;
}

export function applyToStore(store: KVStore, op: WorkOp): void {
  if ('put' in op)
    store.put({ key: Buffer.from(op.put.key), value: Buffer.from(op.put.value), lease: op.put.lease });
  else if ('del' in op)
    store.deleteRange({
      key: Buffer.from(op.del.key),
      rangeEnd: op.del.end ? Buffer.from(op.del.end) : undefined,
    });
  else
    store.txn({
      compare: [
        {
          key: Buffer.from(op.txn.ifExists),
          target: CompareTarget.VERSION,
          result: CompareResult.GREATER,
          version: 0,
        },
      ],
      success: op.txn.success,
      failure: op.txn.otherwise,
    });
}

/** Child main: resume after the store's consistent index and apply batches until killed. */
async function main(): Promise<void> {
  const [dir, seedArg, maxArg] = process.argv.slice(2);
  const seed = Number(seedArg);
  const max = Number(maxArg ?? 100000);
  const store = await KVStore.open(await Backend.open(dir), { compactionBatch: 50 });
  process.stdout.write(`ready ${store.consistentIndex}\n`);
  for (let n = store.consistentIndex + 1; n <= max; n++) {
    for (const op of batchOps(seed, n)) applyToStore(store, op);
    const target = compactionTarget(n, store.rev, store.compactRevision);
    if (target !== undefined) void store.compact(target);
    store.commit(n);
    // defragments run between the batches, so kills land in copies and switches too
    if (n % 40 === 0) void store.backend.defragment().catch(() => undefined);
    // let compaction batches interleave with the writes, as in a server
    if (n % 5 === 0) await new Promise((r) => setImmediate(r));
  }
  await store.close();
  process.stdout.write('done\n');
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
