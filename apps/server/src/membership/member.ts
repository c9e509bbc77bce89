import { computeMemberId } from '../ids/member-id.js';

export interface Member {
  id: bigint;
  /** Empty until the member has started and published its name. */
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

/** A member of the initial cluster, with the ID every member computes the same way. */
export function newMember(name: string, peerUrls: string[], token: string, addedAtSec?: number): Member {
  return {
    id: computeMemberId(peerUrls, token, addedAtSec),
    name,
    peerUrls: [...peerUrls].sort(),
    clientUrls: [],
    isLearner: false,
  };
}

// Members travel inside raft ConfChange contexts and snapshots; IDs are hex because they use all 64 bits.
export interface MemberJson {
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner?: boolean;
}

export function memberToJson(m: Member): MemberJson {
  const j: MemberJson = {
    id: m.id.toString(16),
    name: m.name,
    peerURLs: m.peerUrls,
    clientURLs: m.clientUrls,
  };
  if (m.isLearner) j.isLearner = true;
  return j;
}

export function memberFromJson(j: MemberJson): Member {
  return {
    id: BigInt('0x' + j.id),
    name: j.name,
    peerUrls: [...j.peerURLs],
    clientUrls: [...j.clientURLs],
    isLearner: j.isLearner === true,
  };
}

export function encodeMember(m: Member): Uint8Array {
  return Buffer.from(JSON.stringify(memberToJson(m)), 'utf8');
}

export function decodeMember(b: Uint8Array): Member {
  return memberFromJson(JSON.parse(Buffer.from(b).toString('utf8')));
}
