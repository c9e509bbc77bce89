import { Etcd3, type IWatchResponse } from 'etcd3';
import { sleep } from '../harness/poll';

export interface WatchEvent {
  rev: number;
  type: string;
  key: string;
  value: string;
}

/**
 * etcd3's watch manager reconnects forever after its client is closed (a timer re-arms on every failed
 * attempt, up to 30 s apart), which would keep the process alive: give it a short fixed backoff and
 * drop its watchers before closing, so the pending attempt finds nothing to do.
 */
const FIXED_BACKOFF = { duration: 200, next: () => FIXED_BACKOFF };

function watchClient(url: string): Etcd3 {
  return new Etcd3({
    hosts: [url],
    dialTimeout: 2000,
    faultHandling: { watchBackoff: FIXED_BACKOFF as never },
  });
}

function closeWatchClient(c: Etcd3): void {
  const mgr = (c as unknown as { watchManager?: Record<string, unknown> }).watchManager;
  if (mgr) {
    mgr.watchers = [];
    // Late responses on the dying stream would otherwise throw "Failed to find watcher".
    mgr.handleResponse = () => {};
    mgr.handleCreatedResponse = () => {};
  }
  c.close();
}

const fmt = (e: WatchEvent) => `${e.rev} ${e.type} ${e.key}=${e.value.slice(0, 40)}`;

function eventsOf(res: IWatchResponse): WatchEvent[] {
  return res.events.map((e) => ({
    rev: Number(e.kv.mod_revision),
    type: String(e.type),
    key: e.kv.key.toString(),
    value: e.kv.value?.toString() ?? '',
  }));
}

/**
 * A prefix watcher that hops between members: every few seconds (or when a member does not answer) it
 * drops its connection and watches again on the next member from start revision = last event + 1. So
 * its events come from several members, minority ones included, stitched together only by revisions:
 * any gap, duplicate or reordering in what members serve shows up when compared with the final history.
 */
export class HoppingWatcher {
  readonly events: WatchEvent[] = [];
  reconnects = 0;
  private next: number;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private hop = 0;

  constructor(
    private readonly urls: string[],
    private readonly prefix: string,
    startRev: number,
    private readonly rnd: () => number,
  ) {
    this.next = startRev;
  }

  start(): void {
    this.loop = this.run();
  }

  /** The revision the next event must have at least. */
  get nextRevision(): number {
    return this.next;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const url = this.urls[this.hop++ % this.urls.length]!;
      const client = watchClient(url);
      let active = true;
      try {
        const from = this.next;
        const created = client
          .watch()
          .prefix(this.prefix)
          .startRevision(String(from))
          .create()
          .then((w) => {
            w.on('data', (res) => {
              if (!active) return;
              for (const e of eventsOf(res)) {
                this.events.push(e);
                if (e.rev + 1 > this.next) this.next = e.rev + 1;
              }
            });
            w.on('error', () => {});
            return w;
          });
        created.catch(() => {});
        const stay = 1500 + this.rnd() * 3000;
        const until = Date.now() + stay;
        while (!this.stopped && Date.now() < until) await sleep(50);
      } finally {
        active = false;
        closeWatchClient(client);
        this.reconnects++;
      }
    }
  }

  /** Stops at once (for error paths). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** Keeps hopping until the watcher has seen up to finalRev (or the deadline), then stops. */
  async finish(finalRev: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.next <= finalRev && Date.now() < deadline) await sleep(100);
    this.stopped = true;
    await this.loop;
  }
}

/** Every event under prefix from startRev through finalRev, from one watch on one (healthy) member. */
export async function referenceHistory(
  url: string,
  prefix: string,
  startRev: number,
  finalRev: number,
  timeoutMs = 30_000,
): Promise<WatchEvent[]> {
  const client = watchClient(url);
  const out: WatchEvent[] = [];
  try {
    const w = await client.watch().prefix(prefix).startRevision(String(startRev)).create();
    let last = startRev - 1;
    w.on('data', (res) => {
      for (const e of eventsOf(res)) {
        out.push(e);
        last = Math.max(last, e.rev);
      }
    });
    const deadline = Date.now() + timeoutMs;
    while (last < finalRev && Date.now() < deadline) await sleep(50);
    if (last < finalRev) throw new Error(`reference watch reached only rev ${last} of ${finalRev}`);
  } finally {
    closeWatchClient(client);
  }
  return out.filter((e) => e.rev <= finalRev);
}

/** The hopping watcher's events must equal the reference: same events, same order, nothing missing. */
export function checkWatch(seen: WatchEvent[], reference: WatchEvent[], finalRev: number): string[] {
  const problems: string[] = [];
  const s = seen.filter((e) => e.rev <= finalRev);
  for (let i = 1; i < s.length; i++) {
    if (s[i]!.rev < s[i - 1]!.rev)
      problems.push(`watch: event ${i} (${fmt(s[i]!)}) after ${fmt(s[i - 1]!)}: reordered`);
    else if (s[i]!.rev === s[i - 1]!.rev && s[i]!.key === s[i - 1]!.key)
      problems.push(`watch: event ${i} (${fmt(s[i]!)}) delivered twice`);
    if (problems.length >= 5) break;
  }
  const n = Math.min(s.length, reference.length);
  for (let i = 0; i < n; i++) {
    if (fmt(s[i]!) !== fmt(reference[i]!)) {
      problems.push(
        `watch: first difference at event ${i}: watcher saw ${fmt(s[i]!)}, history has ${fmt(reference[i]!)}` +
          (i > 0 ? ` (previous ${fmt(reference[i - 1]!)})` : ''),
      );
      return problems;
    }
  }
  if (s.length !== reference.length) {
    const extra = s.length > reference.length ? s[n] : reference[n];
    problems.push(
      `watch: watcher saw ${s.length} events, history has ${reference.length}; first ${s.length > reference.length ? 'extra' : 'missing'}: ${extra ? fmt(extra) : '?'}`,
    );
  }
  return problems;
}
