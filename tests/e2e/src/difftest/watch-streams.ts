import { canonical } from './compare';
import type { WatchStream } from './conn';
import type { Plain } from './normalise';
import { plain } from './normalise';
import type { Pair } from './servers';

/**
 * One Watch stream per server. Created responses answer create requests in order and are compared one by
 * one. Everything else is filed per watch ID: events as one flat list, and other control messages
 * (canceled, compacted) as a second list. How events are batched into messages, an event message's header
 * revision, and when a compaction notice comes relative to other watchers' messages depend on timing
 * (etcd finds unsynced watchers on a 100 ms loop, a catching-up watcher may get many revisions in one
 * message), so only the per-ID order is compared, never the interleaving across IDs.
 */
export class WatchPair {
  private readonly seen = { etcd: 0, ours: 0 };
  private readonly created = { etcd: [] as Plain[], ours: [] as Plain[] };
  private readonly perId = { etcd: new Map<string, Plain[]>(), ours: new Map<string, Plain[]>() };

  constructor(
    readonly etcd: WatchStream,
    readonly ours: WatchStream,
  ) {}

  static open(pair: Pair, token?: { etcd: string; ours: string }): WatchPair {
    return new WatchPair(pair.etcd.openWatch(token?.etcd), pair.ours.openWatch(token?.ours));
  }

  /** Files every message received so far. */
  private sort(side: 'etcd' | 'ours'): void {
    const st = this[side];
    for (; this.seen[side] < st.messages.length; this.seen[side]++) {
      const m = plain(st.messages[this.seen[side]]) as Record<string, Plain>;
      const id = String(m.watchId ?? '0');
      const { events, fragment: _f, header, ...rest } = m;
      const h = header as Record<string, Plain> | undefined;
      if (m.created) {
        // A created response answers a request made at a known revision, so its revision is compared.
        this.created[side].push({ ...rest, ...(h ? { header: { revision: h.revision ?? null } } : {}) });
        continue;
      }
      const evs = (events as Plain[] | undefined) ?? [];
      if (evs.length > 0) this.file(side, id, evs);
      if (m.canceled || m.compactRevision || evs.length === 0) this.file(side, `${id}/control`, [rest]);
    }
  }

  private file(side: 'etcd' | 'ours', key: string, items: Plain[]): void {
    const list = this.perId[side].get(key) ?? [];
    list.push(...items);
    this.perId[side].set(key, list);
  }

  /** Sends the same request on both streams. */
  send(etcdReq: object, oursReq: object = etcdReq): void {
    this.etcd.send(etcdReq);
    this.ours.send(oursReq);
  }

  /** Waits for the next created response on each stream (or timeoutMs), and returns both. */
  async nextControl(timeoutMs = 3000): Promise<{ etcd: Plain; ours: Plain }> {
    const out = { etcd: null as Plain, ours: null as Plain };
    await Promise.all(
      (['etcd', 'ours'] as const).map(async (side) => {
        const deadline = Date.now() + timeoutMs;
        this.sort(side);
        while (this.created[side].length === 0 && Date.now() < deadline && !this[side].ended) {
          await this[side].waitBeyond(this[side].messages.length, deadline - Date.now());
          this.sort(side);
        }
        out[side] =
          this.created[side].shift() ??
          (this[side].ended ? { streamEnded: this[side].ended } : { timeout: 'no response' });
      }),
    );
    return out;
  }

  /**
   * Waits for the cancel acknowledgement of watch `id` on each stream (etcd sends none for an unknown
   * ID, so both then time out alike) and takes it out of the per-ID control list.
   */
  async cancelAck(id: string, timeoutMs: number): Promise<{ etcd: Plain; ours: Plain }> {
    const out = { etcd: null as Plain, ours: null as Plain };
    await Promise.all(
      (['etcd', 'ours'] as const).map(async (side) => {
        const deadline = Date.now() + timeoutMs;
        const key = `${id}/control`;
        const find = () =>
          (this.perId[side].get(key) ?? []).findIndex((m) => (m as { canceled?: boolean }).canceled);
        this.sort(side);
        while (find() < 0 && Date.now() < deadline && !this[side].ended) {
          await this[side].waitBeyond(this[side].messages.length, deadline - Date.now());
          this.sort(side);
        }
        const i = find();
        if (i < 0) out[side] = { noAck: true };
        else {
          const list = this.perId[side].get(key)!;
          out[side] = list.splice(i, 1)[0]!;
          if (list.length === 0) this.perId[side].delete(key);
        }
      }),
    );
    return out;
  }

  private eventsText(side: 'etcd' | 'ours'): Plain {
    this.sort(side);
    const ids = [...this.perId[side].keys()].sort();
    return Object.fromEntries(ids.map((id) => [id, this.perId[side].get(id)!]));
  }

  /**
   * Compares the events received so far on both sides, waiting for them to settle: equal is taken at
   * once, unequal only after both streams have been quiet for quietMs (so late deliveries are not blamed).
   */
  async settledEvents(quietMs = 60, maxMs = 3000): Promise<{ etcd: Plain; ours: Plain }> {
    const deadline = Date.now() + maxMs;
    let last = -1;
    let quietSince = Date.now();
    for (;;) {
      const e = this.eventsText('etcd');
      const o = this.eventsText('ours');
      if (canonical(e) === canonical(o)) return { etcd: e, ours: o };
      const n = this.etcd.messages.length + this.ours.messages.length;
      if (n !== last) {
        last = n;
        quietSince = Date.now();
      }
      if (Date.now() - quietSince >= quietMs * 5 || Date.now() > deadline) return { etcd: e, ours: o };
      await new Promise((r) => setTimeout(r, quietMs / 3));
    }
  }

  /** Clears the events compared so far (after a successful comparison). */
  forgetEvents(): void {
    this.perId.etcd.clear();
    this.perId.ours.clear();
  }

  close(): void {
    this.etcd.close();
    this.ours.close();
  }
}
