// Membership: `client.cluster`.
import { headerFromWire, type ResponseHeader, wireBig } from './key-value';
import type { CallOptions, Invoker } from './rpc';
import { wireMethod } from './wire';

/** One member of the cluster. */
export interface Member {
  id: bigint;
  /** Empty until the member has started. */
  name: string;
  peerUrls: string[];
  /** Empty until the member has started. */
  clientUrls: string[];
  isLearner: boolean;
}

/** A membership response: the header and the member list after the change. */
export interface MembersResponse {
  header: ResponseHeader;
  members: Member[];
}

function member(m: any): Member {
  return {
    id: wireBig(m.ID),
    name: String(m.name ?? ''),
    peerUrls: [...(m.peerURLs ?? [])],
    clientUrls: [...(m.clientURLs ?? [])],
    isLearner: !!m.isLearner,
  };
}

const members = (res: any): MembersResponse => ({
  header: headerFromWire(res.header),
  members: (res.members ?? []).map(member),
});

/** The Cluster API. Membership changes are not retried after an ambiguous failure. */
export class ClusterClient {
  /** @internal */
  constructor(private readonly invoker: Invoker) {}

  /** Every member. `linearizable` makes a 3.5+ server confirm with a quorum (ignored by 3.4). */
  async memberList(options: { linearizable?: boolean } & CallOptions = {}): Promise<MembersResponse> {
    return members(
      await this.invoker.unary(
        wireMethod('Cluster', 'MemberList'),
        { linearizable: !!options.linearizable },
        'read',
        options,
      ),
    );
  }

  /** Adds a member (as a non-voting learner with `isLearner`); start it afterwards with the returned ID. */
  async memberAdd(
    peerUrls: string[],
    options: { isLearner?: boolean } & CallOptions = {},
  ): Promise<MembersResponse & { member: Member }> {
    const res = await this.invoker.unary(
      wireMethod('Cluster', 'MemberAdd'),
      { peerURLs: peerUrls, isLearner: !!options.isLearner },
      'write',
      options,
    );
    return { ...members(res), member: member(res.member ?? {}) };
  }

  /** Removes a member. */
  async memberRemove(id: bigint, options: CallOptions = {}): Promise<MembersResponse> {
    return members(
      await this.invoker.unary(wireMethod('Cluster', 'MemberRemove'), { ID: id }, 'write', options),
    );
  }

  /** Changes a member's peer URLs. */
  async memberUpdate(id: bigint, peerUrls: string[], options: CallOptions = {}): Promise<MembersResponse> {
    return members(
      await this.invoker.unary(
        wireMethod('Cluster', 'MemberUpdate'),
        { ID: id, peerURLs: peerUrls },
        'write',
        options,
      ),
    );
  }

  /** Promotes a learner that has caught up with the leader to a voting member. */
  async memberPromote(id: bigint, options: CallOptions = {}): Promise<MembersResponse> {
    return members(
      await this.invoker.unary(wireMethod('Cluster', 'MemberPromote'), { ID: id }, 'write', options),
    );
  }
}
