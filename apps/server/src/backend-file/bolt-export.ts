// Our RocksDB backend as etcd 3.4's bbolt backend file: what Maintenance.Snapshot sends, so that etcdctl
// (ours or etcd's) can check, restore and serve it. One RocksDB iterator over the whole database reads
// one point in time while the server keeps applying; the 'key' rows stream through the bbolt writer
// and the event loop gets a turn every few thousand rows. The other namespaces are small and are kept
// until their bucket's turn in bbolt's name order.
import { setImmediate as turn } from 'node:timers/promises';
import { type BoltWriteResult, BoltWriter } from '@kv/bbolt';
import {
  type Backend,
  decodeKeyValue,
  decodeRevision,
  etcdRevisionKey,
  etcdRow,
  isTombstoneRecord,
  META_KEYS,
} from '@kv/mvcc';
import type { ClusterJson } from '../membership/cluster.js';
import { encodeEtcdAlarmKey, encodeEtcdMember, u64BE } from './etcd-records.js';

interface RawIterator {
  _nextvSync(size: number, options: object): { rows: Buffer[]; finished: boolean };
  _closeSync(): void;
}

/** Namespaces copied row for row into the bucket of the same name (auth keeps etcd's record format). */
const PASS_THROUGH = new Set(['auth', 'authRoles', 'authUsers', 'lease']);
const ROWS_PER_TURN = 1000;

export interface BoltExportOptions {
  /** The 'cluster' bucket's clusterVersion. */
  clusterVersion: string;
  /** fsync the file when done (default false: it is a temporary copy that is streamed, then deleted). */
  sync?: boolean;
}

type Rows = Array<[Buffer, Buffer]>;

export async function writeBackendBolt(
  backend: Backend,
  path: string,
  options: BoltExportOptions,
): Promise<BoltWriteResult> {
  // backend.iterator: a defragment keeps the database this reads open until the iterator closes
  const it: RawIterator = backend.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
  const w = new BoltWriter(path, { sync: options.sync === true });
  // every bucket etcd 3.4 creates, present even when empty, as in etcd's own files
  const buckets = new Map<string, Rows>([
    ['alarm', []],
    ['auth', []],
    ['authRoles', []],
    ['authUsers', []],
    ['cluster', [[Buffer.from('clusterVersion'), Buffer.from(options.clusterVersion)]]],
    ['lease', []],
    ['members', []],
    ['members_removed', []],
    ['meta', []],
  ]);
  let keyBucketOpen = false;
  const writeSmall = (below: string | undefined) => {
    for (const name of [...buckets.keys()].sort(byBytes)) {
      if (below !== undefined && byBytes(name, below) >= 0) continue;
      const rows = buckets.get(name)!;
      buckets.delete(name);
      if (name === 'auth' && rows.length === 0) rows.push([Buffer.from('authRevision'), u64BE(1)]);
      w.bucket(Buffer.from(name, 'latin1'));
      rows.sort((a, b) => Buffer.compare(a[0], b[0]));
      for (const [k, v] of rows) w.put(k, v);
    }
  };
  const openKeyBucket = () => {
    writeSmall('key');
    w.bucket(Buffer.from('key'));
    keyBucketOpen = true;
  };
  try {
    let rowsSinceTurn = 0;
    for (;;) {
      const { rows, finished } = it._nextvSync(1000, {});
      for (let i = 0; i < rows.length; i += 2) {
        const row = rows[i]!;
        const value = rows[i + 1]!;
        const sep = row.indexOf(0);
        if (sep <= 0) continue;
        const ns = row.toString('latin1', 0, sep);
        const key = row.subarray(sep + 1);
        if (ns === 'key') {
          if (!keyBucketOpen) openKeyBucket();
          const { main, sub } = decodeRevision(key);
          w.put(...etcdRow(main, sub, decodeKeyValue(value), isTombstoneRecord(value)));
        } else {
          convertSmall(ns, key, value, buckets);
        }
        if (++rowsSinceTurn >= ROWS_PER_TURN) {
          rowsSinceTurn = 0;
          await turn();
        }
      }
      if (finished || rows.length === 0) break;
    }
    if (!keyBucketOpen) openKeyBucket();
    writeSmall(undefined);
  } catch (err) {
    w.abort();
    throw err;
  } finally {
    it._closeSync();
  }
  return w.close();
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
}

function convertSmall(ns: string, key: Buffer, value: Buffer, buckets: Map<string, Rows>): void {
  const add = (bucket: string, k: Buffer, v: Buffer) => {
    const rows = buckets.get(bucket);
    // a bucket already written (its name sorts before 'key'): cannot happen for the namespaces below
    if (rows === undefined) throw new Error(`backend export: bucket ${bucket} arrived after it was written`);
    rows.push([Buffer.from(k), Buffer.from(v)]);
  };
  if (PASS_THROUGH.has(ns)) add(ns, key, value);
  else if (ns === 'alarm' && key.length >= 12) {
    add('alarm', encodeEtcdAlarmKey(key.readBigUInt64BE(0), key.readUInt32BE(8)), Buffer.alloc(0));
  } else if (ns === 'meta') {
    if (key.equals(META_KEYS.consistentIndex)) add('meta', Buffer.from('consistent_index'), value);
    else if (key.equals(META_KEYS.scheduledCompactRev) || key.equals(META_KEYS.finishedCompactRev)) {
      const rev = Number(value.readBigUInt64BE(0));
      if (rev > 0) {
        const name = key.equals(META_KEYS.scheduledCompactRev) ? 'scheduledCompactRev' : 'finishedCompactRev';
        add('meta', Buffer.from(name), etcdRevisionKey(rev, 0, false));
      }
    }
  } else if (ns === 'members' && key.toString('latin1') === 'cluster') {
    const c = JSON.parse(value.toString('utf8')) as ClusterJson;
    for (const m of c.members) {
      const [k, v] = encodeEtcdMember({
        id: BigInt(`0x${m.id}`),
        name: m.name,
        peerUrls: m.peerURLs,
        clientUrls: m.clientURLs,
        isLearner: m.isLearner === true,
      });
      add('members', k, v);
    }
    for (const id of c.removed)
      add('members_removed', Buffer.from(BigInt(`0x${id}`).toString(16)), Buffer.from('removed'));
  }
}
