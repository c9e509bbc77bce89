import { Etcd3 } from 'etcd3';
import type { Cluster } from '../harness/cluster';
import { sleep } from '../harness/poll';
import { SINGLE_ATTEMPT } from '../workload/no-retry';

/** A read of one list: what a client saw, when, and whether it asked for a serializable read. */
export interface ListRead {
  key: string;
  list: string[];
  call: number;
  ret: number;
  serializable: boolean;
}

/** An append: a txn "if mod_revision == what I read, put read+[elem]". */
export interface ListAppend {
  key: string;
  elem: string;
  /** How long the list was when read (so an acknowledged elem must sit at exactly this index). */
  base: number;
  call: number;
  ret: number;
  /** true acknowledged, false the compare failed (definitely not applied), undefined unknown. */
  ok: boolean | undefined;
}

export interface AppendResult {
  setPrefix: string;
  listKeys: string[];
  /** Acknowledged set puts: key -> the revision the put's response named. */
  setAcked: Map<string, number>;
  /** Set puts whose outcome is unknown. */
  setUnknown: Set<string>;
  appends: ListAppend[];
  reads: ListRead[];
  counts: {
    setOk: number;
    setUnknown: number;
    appendOk: number;
    appendRejected: number;
    appendUnknown: number;
    readFailed: number;
  };
}

export interface AppendOptions {
  durationMs: number;
  clients: number;
  lists: number;
  seed: number;
  opTimeoutMs?: number;
  t0: number;
  rnd: () => number;
}

export const SET_PREFIX = 'jepsen/set/';

export function listKeys(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `jepsen/list${i}`);
}

export async function appendSetup(cluster: Cluster, keys: string[]): Promise<void> {
  const c = new Etcd3({ hosts: cluster.clientUrls });
  try {
    for (const k of keys) await c.put(k).value('');
  } finally {
    c.close();
  }
}

const parse = (v: string | null | undefined): string[] => (v ? v.split(',') : []);

/**
 * Clients that (a) put unique keys under jepsen/set/ and (b) append unique elements to a few list keys
 * with compare-on-mod_revision transactions, and (c) read the lists, linearizably or serializably.
 * Every call is made once (no client retries), so an acknowledged call happened exactly once and a
 * failed one at most once.
 */
export async function runAppendWorkload(cluster: Cluster, o: AppendOptions): Promise<AppendResult> {
  const keys = listKeys(o.lists);
  const now = () => performance.now() - o.t0;
  const endAt = Date.now() + o.durationMs;
  const timeout = o.opTimeoutMs ?? 2000;
  const r: AppendResult = {
    setPrefix: SET_PREFIX,
    listKeys: keys,
    setAcked: new Map(),
    setUnknown: new Set(),
    appends: [],
    reads: [],
    counts: { setOk: 0, setUnknown: 0, appendOk: 0, appendRejected: 0, appendUnknown: 0, readFailed: 0 },
  };
  const rnd = o.rnd;

  const client = async (p: number) => {
    const c = new Etcd3({
      hosts: cluster.clientUrls,
      dialTimeout: 2000,
      defaultCallOptions: () => ({ deadline: Date.now() + timeout }),
      faultHandling: { global: SINGLE_ATTEMPT },
    });
    let seq = 0;
    try {
      while (Date.now() < endAt) {
        const x = rnd();
        const key = keys[Math.floor(rnd() * keys.length)]!;
        if (x < 0.35) {
          const k = `${SET_PREFIX}a${p}-${seq++}`;
          try {
            const res = await c.put(k).value(k);
            r.setAcked.set(k, Number(res.header.revision));
            r.counts.setOk++;
          } catch {
            r.setUnknown.add(k);
            r.counts.setUnknown++;
          }
        } else if (x < 0.75) {
          const call = now();
          let seen: { list: string[]; mod: string };
          try {
            const res = await c.get(key).exec();
            const kv = res.kvs[0];
            seen = { list: parse(kv?.value.toString()), mod: String(kv?.mod_revision ?? '0') };
            r.reads.push({ key, list: seen.list, call, ret: now(), serializable: false });
          } catch {
            r.counts.readFailed++;
            continue;
          }
          const elem = `a${p}-${seq++}`;
          const a: ListAppend = {
            key,
            elem,
            base: seen.list.length,
            call: now(),
            ret: Infinity,
            ok: undefined,
          };
          try {
            const t = await c
              .if(key, 'Mod', '==', seen.mod)
              .then(c.put(key).value([...seen.list, elem].join(',')))
              .commit();
            a.ok = t.succeeded;
            a.ret = now();
            if (t.succeeded) r.counts.appendOk++;
            else r.counts.appendRejected++;
          } catch {
            r.counts.appendUnknown++;
          }
          r.appends.push(a);
        } else {
          const serializable = rnd() < 0.5;
          const call = now();
          try {
            const v = await c.get(key).serializable(serializable).string();
            r.reads.push({ key, list: parse(v), call, ret: now(), serializable });
          } catch {
            r.counts.readFailed++;
          }
        }
        await sleep(rnd() * 10);
      }
    } finally {
      c.close();
    }
  };
  await Promise.all(Array.from({ length: o.clients }, (_, p) => client(p)));
  return r;
}

export interface AppendVerdict {
  problems: string[];
  /** Serializable reads older than a list already known committed when they were called (allowed). */
  staleSerializable: number;
  checked: { setKeys: number; lists: number; appends: number; reads: number };
}

const isPrefix = (a: string[], b: string[]) => a.length <= b.length && a.every((x, i) => b[i] === x);

/**
 * What the final, healed state must satisfy. `finalSet` maps each key under the set prefix to its
 * mod_revision; `finalLists` each list key to its elements.
 */
export function checkAppend(
  r: AppendResult,
  finalSet: Map<string, number>,
  finalLists: Map<string, string[]>,
): AppendVerdict {
  const problems: string[] = [];
  const note = (s: string) => {
    if (problems.length < 30) problems.push(s);
  };
  // Set: every acknowledged put is there, at the revision its response named; nothing never attempted.
  for (const [k, rev] of r.setAcked) {
    const got = finalSet.get(k);
    if (got === undefined) note(`set: acknowledged put ${k} (rev ${rev}) lost`);
    else if (got !== rev)
      note(`set: acknowledged put ${k} answered rev ${rev} but the key has mod_revision ${got}`);
  }
  for (const k of finalSet.keys()) {
    if (!r.setAcked.has(k) && !r.setUnknown.has(k)) note(`set: ${k} present but never attempted`);
  }
  let staleSerializable = 0;
  for (const key of r.listKeys) {
    const fin = finalLists.get(key) ?? [];
    const pos = new Map<string, number>();
    fin.forEach((e, i) => {
      if (pos.has(e)) note(`${key}: element ${e} appears twice (indexes ${pos.get(e)} and ${i})`);
      pos.set(e, i);
    });
    const appends = r.appends.filter((a) => a.key === key);
    const attempted = new Map(appends.map((a) => [a.elem, a]));
    for (const a of appends) {
      if (a.ok === true && pos.get(a.elem) !== a.base) {
        note(
          `${key}: acknowledged append ${a.elem} onto a list of ${a.base} is ${pos.has(a.elem) ? `at index ${pos.get(a.elem)}` : 'lost'}`,
        );
      }
      if (a.ok === false && pos.has(a.elem)) note(`${key}: rejected append ${a.elem} is present`);
    }
    for (const e of fin) if (!attempted.has(e)) note(`${key}: element ${e} was never appended`);
    // Every read, even a serializable one, saw a committed state: a prefix of the final list.
    const reads = r.reads.filter((x) => x.key === key);
    for (const rd of reads) {
      if (!isPrefix(rd.list, fin)) {
        note(
          `${key}: ${rd.serializable ? 'serializable' : 'linearizable'} read [${rd.call.toFixed(0)},${rd.ret.toFixed(0)}] ms saw ${rd.list.length} elements ending ${rd.list.slice(-3)}, not a prefix of the final list`,
        );
      }
    }
    // Linearizable reads are never stale: at least as long as anything known committed before the call.
    const known: Array<{ ret: number; len: number }> = [
      ...appends.filter((a) => a.ok === true).map((a) => ({ ret: a.ret, len: a.base + 1 })),
      ...reads.filter((x) => !x.serializable).map((x) => ({ ret: x.ret, len: x.list.length })),
    ].sort((a, b) => a.ret - b.ret);
    const sorted = [...reads].sort((a, b) => a.call - b.call);
    let j = 0;
    let longest = 0;
    for (const rd of sorted) {
      while (j < known.length && known[j]!.ret < rd.call) longest = Math.max(longest, known[j++]!.len);
      if (rd.list.length < longest) {
        if (rd.serializable) staleSerializable++;
        else
          note(
            `${key}: STALE linearizable read at ${rd.call.toFixed(0)} ms saw ${rd.list.length} elements; ${longest} were committed and known before it was called`,
          );
      }
    }
  }
  return {
    problems,
    staleSerializable,
    checked: {
      setKeys: r.setAcked.size,
      lists: r.listKeys.length,
      appends: r.appends.length,
      reads: r.reads.length,
    },
  };
}
