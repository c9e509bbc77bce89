import { createHash } from 'node:crypto';

// etcd derives a member's ID from what identifies it at bootstrap (its sorted peer URLs and the cluster
// token), so that every member computes the same IDs from the same --initial-cluster without talking.
export function computeMemberId(
  peerUrls: readonly string[],
  clusterToken: string,
  addedAtSec?: number,
): bigint {
  const parts = [...peerUrls].sort();
  let text = parts.join('') + clusterToken;
  // A member added at runtime (MemberAdd) mixes in the time, so re-adding the same URLs gives a new ID.
  if (addedAtSec !== undefined) text += String(addedAtSec);
  const digest = createHash('sha1').update(text, 'utf8').digest();
  return digest.readBigUInt64BE(0);
}

// The cluster ID is a hash of the sorted member IDs of the initial cluster.
export function computeClusterId(memberIds: readonly bigint[]): bigint {
  const ids = [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const buf = Buffer.alloc(8 * ids.length);
  ids.forEach((id, i) => {
    buf.writeBigUInt64BE(id, 8 * i);
  });
  return createHash('sha1').update(buf).digest().readBigUInt64BE(0);
}

// etcd prints IDs as lower-case hex without leading zeros.
export function idToHex(id: bigint): string {
  return id.toString(16);
}

export function hexToId(hex: string): bigint {
  if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) throw new Error(`invalid ID ${JSON.stringify(hex)}`);
  return BigInt('0x' + hex);
}
