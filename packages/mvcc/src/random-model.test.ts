// Thousands of seeded random operations against the store and against a tiny reference model
// (full history in plain arrays); every result is compared, across commits, close/reopen and
// compactions. A watcher per session checks that events match the model's history exactly.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Backend } from './backend';
import { ErrCompacted, ErrDuplicateKey, ErrFutureRev, ErrKeyNotFound } from './errors';
import type { KeyValue } from './key-value';
import {
  type Compare,
  type CompareResult,
  CompareTarget,
  type RangeRequest,
  type RequestOp,
  SortOrder,
  SortTarget,
} from './request';
import { tempDir } from './test-dir';
import { WatchableStore, type WatchStream } from './watchable-store';

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

interface Entry {
  main: number;
  sub: number;
  /** undefined: tombstone */
  kv?: { value: string; lease: bigint; create: number; version: number };
}

/** The reference: every key's full history, no index, no cleverness. */
class Model {
  rev = 1;
  compactRev = 0;
  history = new Map<string, Entry[]>();
  /** every change in order, for watch checks: "PUT k@rev=v" / "DELETE k@rev" */
  log: { rev: number; text: string; key: string }[] = [];

  at(key: string, rev: number): Entry | undefined {
    const h = this.history.get(key) ?? [];
    let found: Entry | undefined;
    for (const e of h) if (e.main <= rev) found = e;
    return found?.kv ? found : undefined;
  }

  keysIn(key: string, end: string | undefined): string[] {
    const all = [...this.history.keys()].sort((a, b) =>
      Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')),
    );
    if (end === undefined) return all.filter((k) => k === key);
    if (end === '\0') return all.filter((k) => k >= key);
    return all.filter((k) => k >= key && k < end);
  }

  kvAt(key: string, rev: number): KeyValue | undefined {
    const e = this.at(key, rev);
    if (!e?.kv) return undefined;
    return {
      key: Buffer.from(key, 'latin1'),
      value: Buffer.from(e.kv.value, 'latin1'),
      lease: e.kv.lease,
      createRevision: e.kv.create,
      modRevision: e.main,
      version: e.kv.version,
    };
  }

  range(r: RangeRequest, curRev: number): unknown {
    let rev = r.revision ?? 0;
    if (rev > curRev) return 'future';
    if (rev <= 0) rev = curRev;
    if (rev < this.compactRev) return 'compacted';
    const key = Buffer.from(r.key).toString('latin1');
    const end = r.rangeEnd && r.rangeEnd.length > 0 ? Buffer.from(r.rangeEnd).toString('latin1') : undefined;
    let kvs = this.keysIn(key, end)
      .map((k) => this.kvAt(k, rev))
      .filter((kv): kv is KeyValue => kv !== undefined);
    const count = kvs.length;
    if (r.countOnly) return { kvs: [], count, more: false, revision: curRev };
    // etcd reads only limit+1 keys (in key order) unless sort order or revision filters are set,
    // even when a sort target alone asks for sorting
    const unfiltered =
      !r.sortOrder && !r.minModRevision && !r.maxModRevision && !r.minCreateRevision && !r.maxCreateRevision;
    if (unfiltered && (r.limit ?? 0) > 0) kvs = kvs.slice(0, (r.limit ?? 0) + 1);
    if (r.minModRevision) kvs = kvs.filter((kv) => kv.modRevision >= (r.minModRevision ?? 0));
    if (r.maxModRevision) kvs = kvs.filter((kv) => kv.modRevision <= (r.maxModRevision ?? 0));
    if (r.minCreateRevision) kvs = kvs.filter((kv) => kv.createRevision >= (r.minCreateRevision ?? 0));
    if (r.maxCreateRevision) kvs = kvs.filter((kv) => kv.createRevision <= (r.maxCreateRevision ?? 0));
    const target = r.sortTarget ?? 0;
    let order = r.sortOrder ?? 0;
    if (target !== 0 && order === 0) order = 1;
    if (order !== 0) {
      const field = (kv: KeyValue): number | Buffer =>
        [Buffer.from(kv.key), kv.version, kv.createRevision, kv.modRevision, Buffer.from(kv.value)][target] as
          | number
          | Buffer;
      const cmp = (a: KeyValue, b: KeyValue): number => {
        const fa = field(a);
        const fb = field(b);
        const c = typeof fa === 'number' ? fa - (fb as number) : Buffer.compare(fa, fb as Buffer);
        const d = order === 2 ? -c : c;
        return d !== 0 ? d : Buffer.compare(Buffer.from(a.key), Buffer.from(b.key));
      };
      kvs.sort(cmp);
    }
    let more = false;
    if ((r.limit ?? 0) > 0 && kvs.length > (r.limit ?? 0)) {
      kvs = kvs.slice(0, r.limit);
      more = true;
    }
    if (r.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: Buffer.alloc(0) }));
    return { kvs, count, more, revision: curRev };
  }

  /** Applies writes of one txn (already checked); returns per-op results. */
  write(ops: RequestOp[]): unknown[] {
    const main = this.rev + 1;
    let sub = 0;
    const out: unknown[] = [];
    for (const op of ops) {
      const cur = sub > 0 ? main : this.rev;
      if ('range' in op) out.push({ range: this.range({ ...op.range }, cur) });
      else if ('put' in op) {
        const k = Buffer.from(op.put.key).toString('latin1');
        const prev = this.at(k, cur);
        const e: Entry = {
          main,
          sub: sub++,
          kv: {
            value: Buffer.from(op.put.value ?? Buffer.alloc(0)).toString('latin1'),
            lease: op.put.lease ?? 0n,
            create: prev?.kv ? prev.kv.create : main,
            version: prev?.kv ? prev.kv.version + 1 : 1,
          },
        };
        const h = this.history.get(k) ?? [];
        h.push(e);
        this.history.set(k, h);
        this.log.push({ rev: main, key: k, text: `PUT ${k}@${main}=${e.kv?.value}` });
        out.push({ put: main });
      } else if ('deleteRange' in op) {
        const d = op.deleteRange;
        const key = Buffer.from(d.key).toString('latin1');
        const end =
          d.rangeEnd && d.rangeEnd.length > 0 ? Buffer.from(d.rangeEnd).toString('latin1') : undefined;
        let n = 0;
        for (const k of this.keysIn(key, end)) {
          if (!this.at(k, cur)) continue;
          this.history.get(k)?.push({ main, sub: sub++ });
          this.log.push({ rev: main, key: k, text: `DELETE ${k}@${main}` });
          n++;
        }
        out.push({ deleted: n });
      }
    }
    if (sub > 0) this.rev = main;
    return out;
  }

  compare(c: Compare): boolean {
    const key = Buffer.from(c.key).toString('latin1');
    const kv = this.kvAt(key, this.rev);
    if (!kv) {
      if (c.target === CompareTarget.VALUE) return false;
    }
    let d: number;
    if (c.target === CompareTarget.VERSION) d = (kv?.version ?? 0) - (c.version ?? 0);
    else if (c.target === CompareTarget.MOD) d = (kv?.modRevision ?? 0) - (c.modRevision ?? 0);
    else if (c.target === CompareTarget.CREATE) d = (kv?.createRevision ?? 0) - (c.createRevision ?? 0);
    else if (c.target === CompareTarget.LEASE) d = Number((kv?.lease ?? 0n) - (c.lease ?? 0n));
    else d = Buffer.compare(Buffer.from(kv?.value ?? []), Buffer.from(c.value ?? []));
    return [d === 0, d > 0, d < 0, d !== 0][c.result];
  }

  static duplicate(ops: RequestOp[]): boolean {
    const puts: string[] = [];
    const dels: [string, string | undefined][] = [];
    for (const op of ops) {
      if ('put' in op) puts.push(Buffer.from(op.put.key).toString('latin1'));
      if ('deleteRange' in op) {
        const d = op.deleteRange;
        dels.push([
          Buffer.from(d.key).toString('latin1'),
          d.rangeEnd ? Buffer.from(d.rangeEnd).toString('latin1') : undefined,
        ]);
      }
    }
    if (new Set(puts).size !== puts.length) return true;
    return puts.some((k) => dels.some(([a, e]) => (e === undefined ? a === k : a <= k && k < e)));
  }
}

const KEYS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k0', 'k1', 'k2', '\xff', '\x00x', 'zz'];

function outcome(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ErrFutureRev) return 'future';
    if (e instanceof ErrCompacted) return 'compacted';
    if (e instanceof ErrDuplicateKey) return 'duplicate';
    if (e instanceof ErrKeyNotFound) return 'notfound';
    throw e;
  }
}

function eventText(r: { events: { type: string; kv: KeyValue }[] }): string[] {
  return r.events.map((ev) => {
    const k = Buffer.from(ev.kv.key).toString('latin1');
    return ev.type === 'PUT'
      ? `PUT ${k}@${ev.kv.modRevision}=${Buffer.from(ev.kv.value).toString('latin1')}`
      : `DELETE ${k}@${ev.kv.modRevision}`;
  });
}

async function drain(store: WatchableStore, stream: WatchStream, out: string[]): Promise<void> {
  // let the store's sync passes and victim retries run, taking everything buffered, until caught up
  const deadline = Date.now() + 5000;
  for (let i = 0; i < 5000 && Date.now() < deadline; i++) {
    await new Promise((r) => setImmediate(r));
    let r = stream.tryNext();
    while (r) {
      out.push(...eventText(r));
      r = stream.tryNext();
    }
    const c = store.watcherCounts();
    if (c.unsynced === 0 && c.victims === 0 && stream.pending === 0) return;
  }
}

async function runSeed(seed: number, ops: number, path: string): Promise<void> {
  const rand = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const key = (): Buffer => Buffer.from(pick(KEYS), 'latin1');
  const model = new Model();
  let store = await WatchableStore.open(await Backend.open(path), { compactionBatch: 7, streamCapacity: 4 });
  let ci = 0;
  let watchStart = 1;
  let stream = store.newWatchStream();
  stream.watch({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]), startRevision: watchStart });
  let seen: string[] = [];
  const checkWatch = async (): Promise<void> => {
    await drain(store, stream, seen);
    const expected = model.log.filter((e) => e.rev >= watchStart).map((e) => e.text);
    assert.deepEqual(seen, expected, `seed ${seed}: watch events`);
  };
  const randomRange = (): RangeRequest => {
    const r: RangeRequest = { key: key() };
    const shape = rand();
    if (shape < 0.3) r.rangeEnd = Buffer.from([0]);
    else if (shape < 0.6) r.rangeEnd = key();
    if (rand() < 0.3) r.limit = 1 + Math.floor(rand() * 4);
    if (rand() < 0.3) r.revision = Math.floor(rand() * (model.rev + 2));
    if (rand() < 0.2) r.sortOrder = pick([SortOrder.NONE, SortOrder.ASCEND, SortOrder.DESCEND]);
    if (rand() < 0.2)
      r.sortTarget = pick([
        SortTarget.KEY,
        SortTarget.VERSION,
        SortTarget.CREATE,
        SortTarget.MOD,
        SortTarget.VALUE,
      ]);
    if (rand() < 0.1) r.keysOnly = true;
    if (rand() < 0.1) r.countOnly = true;
    if (rand() < 0.1) r.minModRevision = Math.floor(rand() * model.rev);
    if (rand() < 0.1) r.maxModRevision = Math.floor(rand() * model.rev);
    if (rand() < 0.1) r.minCreateRevision = Math.floor(rand() * model.rev);
    if (rand() < 0.1) r.maxCreateRevision = Math.floor(rand() * model.rev);
    return r;
  };
  const randomWrite = (): RequestOp => {
    const x = rand();
    if (x < 0.55)
      return {
        put: {
          key: key(),
          value: Buffer.from(`v${Math.floor(rand() * 1000)}`),
          lease: rand() < 0.2 ? 5n : 0n,
        },
      };
    if (x < 0.75) return { deleteRange: { key: key(), rangeEnd: rand() < 0.5 ? key() : undefined } };
    return { range: randomRange() };
  };

  for (let i = 0; i < ops; i++) {
    const x = rand();
    if (x < 0.3) {
      const r = randomRange();
      const got = outcome(() => store.range(r));
      assert.deepEqual(got, model.range(r, model.rev), `seed ${seed} op ${i}: range ${JSON.stringify(r)}`);
    } else if (x < 0.55) {
      const op = randomWrite();
      if ('put' in op) {
        const got = store.put(op.put);
        assert.equal(got.revision, (model.write([op])[0] as { put: number }).put);
      } else if ('deleteRange' in op) {
        const got = store.deleteRange(op.deleteRange);
        assert.equal(
          got.deleted,
          (model.write([op])[0] as { deleted: number }).deleted,
          `seed ${seed} op ${i}: delete`,
        );
        assert.equal(got.revision, model.rev);
      }
    } else if (x < 0.8) {
      const c: Compare = {
        key: key(),
        target: pick([0, 1, 2, 3, 4]) as CompareTarget,
        result: pick([0, 1, 2, 3]) as CompareResult,
        version: Math.floor(rand() * 4),
        modRevision: Math.floor(rand() * (model.rev + 1)),
        createRevision: Math.floor(rand() * (model.rev + 1)),
        value: Buffer.from(`v${Math.floor(rand() * 1000)}`),
        lease: rand() < 0.5 ? 5n : 0n,
      };
      const success = Array.from({ length: Math.floor(rand() * 4) }, randomWrite);
      const failure = Array.from({ length: Math.floor(rand() * 3) }, randomWrite);
      const got = outcome(() => store.txn({ compare: [c], success, failure }));
      if (Model.duplicate(success) || Model.duplicate(failure)) {
        assert.equal(got, 'duplicate', `seed ${seed} op ${i}: duplicate`);
        continue;
      }
      const ok = model.compare(c);
      const branch = ok ? success : failure;
      // reads with a revision are checked against the state before the txn, as etcd does
      const bad = branch.find(
        (op) =>
          'range' in op && (op.range.revision ?? 0) !== 0 && model.range(op.range, model.rev) === 'future',
      );
      const compacted = branch.find(
        (op) =>
          'range' in op && (op.range.revision ?? 0) !== 0 && (op.range.revision ?? 0) < model.compactRev,
      );
      if (bad || compacted) {
        assert.equal(got, bad ? 'future' : 'compacted', `seed ${seed} op ${i}: txn range check`);
        continue;
      }
      const results = model.write(branch);
      const resp = got as { succeeded: boolean; revision: number; responses: Record<string, unknown>[] };
      assert.equal(resp.succeeded, ok, `seed ${seed} op ${i}: txn compare`);
      assert.equal(resp.revision, model.rev);
      resp.responses.forEach((r, j) => {
        const m = results[j] as Record<string, unknown>;
        if ('range' in r) assert.deepEqual(r.range, m.range, `seed ${seed} op ${i}: txn range ${j}`);
        if ('put' in r) assert.equal((r.put as { revision: number }).revision, m.put);
        if ('deleteRange' in r) assert.equal((r.deleteRange as { deleted: number }).deleted, m.deleted);
      });
    } else if (x < 0.9) {
      store.commit(++ci);
    } else if (x < 0.95) {
      const target = model.compactRev + 1 + Math.floor(rand() * Math.max(1, model.rev - model.compactRev));
      if (target <= model.rev && target > model.compactRev) {
        // a watcher still behind the compaction would (rightly) be canceled: let it catch up first
        await drain(store, stream, seen);
        const done = store.compact(target);
        model.compactRev = target;
        store.commit(++ci);
        if (rand() < 0.5) await done;
      }
    } else if (x < 0.992) {
      const h1 = store.hashKV(0);
      assert.equal(h1.revision, model.rev);
      assert.equal(h1.compactRevision, model.compactRev);
    } else {
      await checkWatch();
      store.commit(++ci);
      await store.close();
      store = await WatchableStore.open(await Backend.open(path), { compactionBatch: 7, streamCapacity: 4 });
      assert.equal(store.rev, model.rev, `seed ${seed} op ${i}: rev after reopen`);
      assert.equal(store.consistentIndex, ci);
      assert.equal(store.compactRevision, model.compactRev);
      // from compactRev + 1: a tombstone at exactly the compact revision is gone (as in etcd)
      watchStart = model.compactRev + 1 + Math.floor(rand() * (model.rev - model.compactRev + 1));
      stream = store.newWatchStream();
      stream.watch({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]), startRevision: watchStart });
      seen = [];
    }
    // the watcher follows live writes; its small buffer makes it a victim often
    if (i % 5 === 0) await drain(store, stream, seen);
  }
  // everything readable at the end equals the model at every uncompacted revision
  for (let rev = Math.max(model.compactRev, 1); rev <= model.rev; rev++) {
    const r = { key: Buffer.from([0]), rangeEnd: Buffer.from([0]), revision: rev };
    assert.deepEqual(store.range(r), model.range(r, model.rev), `seed ${seed}: full range at ${rev}`);
  }
  await checkWatch();
  // hashKV of a reopened store equals the live one
  const h = store.hashKV(0);
  await store.close();
  store = await WatchableStore.open(await Backend.open(path));
  assert.deepEqual(store.hashKV(0), h);
  await store.close();
}

const dir = tempDir();
after(() => dir.remove());

for (const seed of [1, 2, 3]) {
  test(`random operations match the reference model (seed ${seed})`, async () => {
    await runSeed(seed, 2500, `${dir.path}/${seed}`);
  });
}
