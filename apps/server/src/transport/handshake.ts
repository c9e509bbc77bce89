// The first frame on every peer connection. Members of different clusters refuse each other here, before
// any raft message crosses, so a misconfigured member cannot disturb a cluster it does not belong to.
export const PROTOCOL_VERSION = 1;

/** stream: raft messages; snapshot: one snapshot transfer; info: a joining member asks for the members. */
export type ConnectionKind = 'stream' | 'snapshot' | 'info';
const KINDS: ConnectionKind[] = ['stream', 'snapshot', 'info'];

export interface Hello {
  version: number;
  clusterId: bigint;
  from: bigint;
  to: bigint;
  kind: ConnectionKind;
}

export function encodeHello(h: Hello): Buffer {
  const b = Buffer.alloc(2 + 24 + 1);
  b.writeUInt16LE(h.version, 0);
  b.writeBigUInt64LE(h.clusterId, 2);
  b.writeBigUInt64LE(h.from, 10);
  b.writeBigUInt64LE(h.to, 18);
  b.writeUInt8(KINDS.indexOf(h.kind), 26);
  return b;
}

export function decodeHello(b: Buffer): Hello {
  if (b.length < 27) throw new Error('peer hello is too short');
  return {
    version: b.readUInt16LE(0),
    clusterId: b.readBigUInt64LE(2),
    from: b.readBigUInt64LE(10),
    to: b.readBigUInt64LE(18),
    kind: KINDS[b.readUInt8(26)] ?? 'stream',
  };
}

/** Why the receiving member refuses this hello, or undefined to accept. */
export function checkHello(h: Hello, localId: bigint, clusterId: bigint, isRemoved: (id: bigint) => boolean) {
  if (h.version !== PROTOCOL_VERSION) return `unsupported peer protocol version ${h.version}`;
  if (h.clusterId !== clusterId) {
    return `cluster ID mismatch: local cluster ${clusterId.toString(16)}, remote ${h.clusterId.toString(16)}`;
  }
  if (h.to !== localId)
    return `member ID mismatch: this is ${localId.toString(16)}, not ${h.to.toString(16)}`;
  if (isRemoved(h.from)) return `member ${h.from.toString(16)} was removed from the cluster`;
  return undefined;
}
