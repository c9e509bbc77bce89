import { type Member, type MemberJson, memberFromJson, memberToJson } from '../membership/member.js';

// A membership change travels in raft's ConfChange context: the member (as etcd puts it there) plus the
// proposing request's ID, so the proposer's waiter is found when the change is applied.
export interface ChangeContext {
  member?: Member;
  reqId?: bigint;
}

export function encodeChangeContext(member: Member | undefined, reqId: bigint | undefined): Uint8Array {
  const j: MemberJson & { reqId?: string } = member
    ? memberToJson(member)
    : { id: '0', name: '', peerURLs: [], clientURLs: [] };
  if (reqId !== undefined) j.reqId = reqId.toString(16);
  return Buffer.from(JSON.stringify(j), 'utf8');
}

export function decodeChangeContext(b: Uint8Array): ChangeContext {
  if (!b || b.length === 0) return {};
  try {
    const j = JSON.parse(Buffer.from(b).toString('utf8')) as MemberJson & { reqId?: string };
    return {
      member: j.id && j.id !== '0' ? memberFromJson(j) : undefined,
      reqId: j.reqId ? BigInt('0x' + j.reqId) : undefined,
    };
  } catch {
    return {};
  }
}
