import { etcdserverpb, toLong, toUint64 } from '@kv/api-proto';
import type { Namespace } from '@kv/mvcc';

const { AlarmType } = etcdserverpb;
const Action = etcdserverpb.AlarmRequest.AlarmAction;

/** Raised alarms (member, type), replicated through raft and kept in the backend's "alarm" namespace. */
export class Alarms {
  private readonly active = new Map<string, { memberId: bigint; alarm: number }>();

  constructor(private readonly ns: Namespace) {
    for (const [k] of ns.iterate()) {
      const memberId = k.readBigUInt64BE(0);
      const alarm = k.readUInt32BE(8);
      this.active.set(`${memberId}:${alarm}`, { memberId, alarm });
    }
  }

  has(alarm: number): boolean {
    for (const a of this.active.values()) if (a.alarm === alarm) return true;
    return false;
  }

  get noSpace(): boolean {
    return this.has(AlarmType.NOSPACE);
  }

  list(): etcdserverpb.AlarmMember.$Properties[] {
    return [...this.active.values()].map((a) => ({ memberID: toLong(a.memberId, true), alarm: a.alarm }));
  }

  /** Applies an AlarmRequest from the log; the change joins the apply batch. */
  apply(req: etcdserverpb.AlarmRequest.$Properties): etcdserverpb.AlarmResponse.$Properties {
    const memberId = toUint64(req.memberID);
    const alarm = req.alarm ?? AlarmType.NONE;
    const key = Buffer.alloc(12);
    key.writeBigUInt64BE(memberId, 0);
    key.writeUInt32BE(alarm, 8);
    const id = `${memberId}:${alarm}`;
    if (req.action === Action.ACTIVATE && alarm !== AlarmType.NONE) {
      if (!this.active.has(id)) {
        this.active.set(id, { memberId, alarm });
        this.ns.put(key, Buffer.alloc(0));
      }
      return { alarms: [{ memberID: toLong(memberId, true), alarm }] };
    }
    if (req.action === Action.DEACTIVATE) {
      // etcd's DEACTIVATE of NONE for member 0 is how `etcdctl alarm disarm` clears every alarm.
      const out: etcdserverpb.AlarmMember.$Properties[] = [];
      for (const [k, a] of [...this.active]) {
        if ((memberId === 0n || a.memberId === memberId) && (alarm === AlarmType.NONE || a.alarm === alarm)) {
          this.active.delete(k);
          const dk = Buffer.alloc(12);
          dk.writeBigUInt64BE(a.memberId, 0);
          dk.writeUInt32BE(a.alarm, 8);
          this.ns.del(dk);
          out.push({ memberID: toLong(a.memberId, true), alarm: a.alarm });
        }
      }
      return { alarms: out };
    }
    return { alarms: this.list() };
  }
}
