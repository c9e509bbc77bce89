// Maintenance: `client.maintenance`. Most of these are about one member, so they take `endpoint`.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { toEtcdError } from './errors';
import { headerFromWire, type ResponseHeader, wireBig, wireNum } from './key-value';
import type { CallOptions, Invoker } from './rpc';
import { wireMethod } from './wire';

/** A member's view of itself. */
export interface StatusResponse {
  header: ResponseHeader;
  version: string;
  /** Bytes of the backend database file. */
  dbSize: number;
  /** Bytes of the database logically in use. */
  dbSizeInUse: number;
  /** Member ID of the leader this member knows (0n: none). */
  leader: bigint;
  raftIndex: number;
  raftTerm: number;
  raftAppliedIndex: number;
  errors: string[];
  isLearner: boolean;
}

/** Alarm kinds. */
export type AlarmType = 'NONE' | 'NOSPACE' | 'CORRUPT';
const alarmTypes: AlarmType[] = ['NONE', 'NOSPACE', 'CORRUPT'];

/** A raised alarm. */
export interface Alarm {
  memberId: bigint;
  alarm: AlarmType;
}

/** The Maintenance API. */
export class MaintenanceClient {
  /** @internal */
  constructor(private readonly invoker: Invoker) {}

  /** Status of one member (`endpoint`), or of whichever member answers. */
  async status(options: CallOptions = {}): Promise<StatusResponse> {
    const r = await this.invoker.unary(wireMethod('Maintenance', 'Status'), {}, 'read', options);
    return {
      header: headerFromWire(r.header),
      version: String(r.version),
      dbSize: wireNum(r.dbSize),
      dbSizeInUse: wireNum(r.dbSizeInUse),
      leader: wireBig(r.leader),
      raftIndex: wireNum(r.raftIndex),
      raftTerm: wireNum(r.raftTerm),
      raftAppliedIndex: wireNum(r.raftAppliedIndex),
      errors: [...(r.errors ?? [])],
      isLearner: !!r.isLearner,
    };
  }

  /** Status of every endpoint; failed ones carry their error. */
  async statusAll(
    options: Omit<CallOptions, 'endpoint'> = {},
  ): Promise<Array<{ endpoint: string } & ({ status: StatusResponse } | { error: Error })>> {
    return Promise.all(
      this.invoker.pool.endpoints.map(async (endpoint) => {
        try {
          return { endpoint, status: await this.status({ ...options, endpoint }) };
        } catch (error) {
          return { endpoint, error: error as Error };
        }
      }),
    );
  }

  /** Rewrites one member's database file to reclaim free space (send to each member in turn). */
  async defragment(options: CallOptions = {}): Promise<{ header: ResponseHeader }> {
    const r = await this.invoker.unary(wireMethod('Maintenance', 'Defragment'), {}, 'write', {
      ...options,
      retryWrite: options.retryWrite ?? true,
    });
    return { header: headerFromWire(r.header) };
  }

  /** Raised alarms. */
  async alarms(options: CallOptions = {}): Promise<Alarm[]> {
    const r = await this.invoker.unary(wireMethod('Maintenance', 'Alarm'), { action: 0 }, 'read', options);
    return (r.alarms ?? []).map((a: any) => ({
      memberId: wireBig(a.memberID),
      alarm: alarmTypes[a.alarm] ?? 'NONE',
    }));
  }

  /** Clears an alarm (all members' alarms of a kind when `memberId` is 0n); returns the disarmed alarms. */
  async disarmAlarm(alarm: Alarm, options: CallOptions = {}): Promise<Alarm[]> {
    const r = await this.invoker.unary(
      wireMethod('Maintenance', 'Alarm'),
      { action: 2, memberID: alarm.memberId, alarm: alarmTypes.indexOf(alarm.alarm) },
      'write',
      { ...options, retryWrite: options.retryWrite ?? true },
    );
    return (r.alarms ?? []).map((a: any) => ({
      memberId: wireBig(a.memberID),
      alarm: alarmTypes[a.alarm] ?? 'NONE',
    }));
  }

  /** Hash of one member's whole backend (compare members only at quiet times; prefer hashKV). */
  async hash(options: CallOptions = {}): Promise<{ header: ResponseHeader; hash: number }> {
    const r = await this.invoker.unary(wireMethod('Maintenance', 'Hash'), {}, 'read', options);
    return { header: headerFromWire(r.header), hash: Number(r.hash) };
  }

  /** Hash of the key-value history up to `revision` (0: latest) on one member; equal across healthy members. */
  async hashKV(
    revision = 0,
    options: CallOptions = {},
  ): Promise<{ header: ResponseHeader; hash: number; compactRevision: number }> {
    const r = await this.invoker.unary(wireMethod('Maintenance', 'HashKV'), { revision }, 'read', options);
    return {
      header: headerFromWire(r.header),
      hash: Number(r.hash),
      compactRevision: wireNum(r.compactRevision),
    };
  }

  /** Streams a snapshot of one member's backend database. */
  snapshot(options: Omit<CallOptions, 'timeout'> = {}): Readable {
    const invoker = this.invoker;
    const i = options.endpoint === undefined ? invoker.pool.pick() : invoker.pool.indexOf(options.endpoint);
    if (i < 0) throw new TypeError(`unknown endpoint ${options.endpoint}`);
    async function* chunks(): AsyncGenerator<Buffer> {
      const call = await invoker.serverStream(wireMethod('Maintenance', 'Snapshot'), i, {}, options.signal);
      try {
        for await (const res of call) {
          if (res.blob?.length) yield Buffer.isBuffer(res.blob) ? res.blob : Buffer.from(res.blob);
        }
      } catch (e) {
        throw options.signal?.aborted ? options.signal.reason : toEtcdError(e, invoker.pool.endpoints[i]);
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  /** Saves a snapshot to `path` (written to `path.part`, renamed when complete); resolves with its size. */
  async snapshotToFile(path: string, options: Omit<CallOptions, 'timeout'> = {}): Promise<{ size: number }> {
    const part = `${path}.part`;
    let size = 0;
    const src = this.snapshot(options);
    src.on('data', (c: Buffer) => (size += c.length));
    try {
      await pipeline(src, createWriteStream(part));
    } catch (e) {
      await rm(part, { force: true });
      throw e;
    }
    await rename(part, path);
    return { size };
  }

  /** Transfers leadership to `targetId`. Sent to the current leader, found through `status`. */
  async moveLeader(
    targetId: bigint,
    options: Omit<CallOptions, 'endpoint'> = {},
  ): Promise<{ header: ResponseHeader }> {
    const all = await this.statusAll(options);
    const leader = all.find((s) => 'status' in s && s.status.leader === s.status.header.memberId);
    if (!leader) throw toEtcdError({ code: 14, details: 'etcdserver: no leader' });
    const r = await this.invoker.unary(
      wireMethod('Maintenance', 'MoveLeader'),
      { targetID: targetId },
      'write',
      { ...options, endpoint: leader.endpoint },
    );
    return { header: headerFromWire(r.header) };
  }
}
