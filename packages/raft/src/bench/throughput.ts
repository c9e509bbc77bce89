// Entries committed per second by a 3-node in-memory cluster: the library alone, no disk, no sockets.
// Messages go through the binary codec as they would over a transport.
// Usage: node dist/bench/throughput.js [--seconds 3] [--batch 64] [--size 128] [--no-codec]
import { decodeMessage, encodeMessage } from '../codec.js';
import { RawNode } from '../raw-node.js';
import { MemoryStorage } from '../storage.js';
import { emptyConfState, type Message, StateType } from '../types.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const seconds = arg('seconds', 3);
const batch = arg('batch', 64);
const size = arg('size', 128);
const codec = !process.argv.includes('--no-codec');

const ids = [1n, 2n, 3n];
const nodes = new Map<bigint, { raw: RawNode; storage: MemoryStorage; applied: number }>();
for (const id of ids) {
  const storage = new MemoryStorage({ ...emptyConfState(), voters: ids });
  const raw = new RawNode({ id, storage, electionTick: 10, heartbeatTick: 1, maxInflightMsgs: 256 });
  nodes.set(id, { raw, storage, applied: 0 });
}

let queue: Message[] = [];
function pump(): void {
  for (const n of nodes.values()) {
    if (!n.raw.hasReady()) continue;
    const rd = n.raw.ready();
    if (rd.entries.length > 0) n.storage.append(rd.entries);
    if (rd.hardState) n.storage.setHardState(rd.hardState);
    for (const m of rd.messages) queue.push(codec ? decodeMessage(encodeMessage(m)) : m);
    n.applied += rd.committedEntries.length;
    n.raw.advance();
    // Keep memory flat: compact what every node has applied.
    const li = n.storage.lastIndex();
    if (li - n.storage.firstIndex() > 50_000) {
      const upto = Math.min(n.raw.raft.raftLog.applied, li) - 1000;
      if (upto > n.storage.firstIndex()) {
        n.storage.createSnapshot(upto, undefined, new Uint8Array(0));
        n.storage.compact(upto);
      }
    }
  }
  const q = queue;
  queue = [];
  for (const m of q) nodes.get(m.to)!.raw.step(m);
}

const leader = nodes.get(1n)!;
leader.raw.campaign();
for (let i = 0; i < 10; i++) pump();
if (leader.raw.raft.state !== StateType.StateLeader) throw new Error('no leader');

const payload = new Uint8Array(size).fill(7);
const datas = Array.from({ length: batch }, () => payload);
const start = process.hrtime.bigint();
const startCommitted = leader.raw.raft.raftLog.committed;
let rounds = 0;
const deadline = Date.now() + seconds * 1000;
while (Date.now() < deadline) {
  for (let i = 0; i < 16; i++) {
    leader.raw.proposeBatch(datas);
    pump();
    rounds++;
  }
}
for (let i = 0; i < 10; i++) pump();
const secs = Number(process.hrtime.bigint() - start) / 1e9;
const committed = leader.raw.raft.raftLog.committed - startCommitted;
console.log(
  `3-node in-memory cluster, ${batch} x ${size}-byte entries per proposal batch, codec ${codec ? 'on' : 'off'}: ` +
    `${Math.round(committed / secs).toLocaleString('en-US')} entries committed/s (${committed} in ${secs.toFixed(2)}s, ${rounds} rounds)`,
);
