// Typed errors, so callers can tell a dropped proposal from a compacted log with instanceof.

export class RaftError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A proposal was not accepted: no leader is known, a leader transfer is in progress, or limits were hit. */
export class ErrProposalDropped extends RaftError {
  constructor(reason = 'raft proposal dropped') {
    super(reason);
  }
}

/** The requested index is older than the storage's first index (it was compacted into a snapshot). */
export class ErrCompacted extends RaftError {
  constructor() {
    super('requested index is unavailable due to compaction');
  }
}

/** The requested index is newer than anything the storage holds. */
export class ErrUnavailable extends RaftError {
  constructor() {
    super('requested entry at index is unavailable');
  }
}

/** The snapshot offered is older than the one the storage holds. */
export class ErrSnapOutOfDate extends RaftError {
  constructor() {
    super('requested index is older than the existing snapshot');
  }
}

/** The storage cannot produce a snapshot right now; raft retries later. */
export class ErrSnapshotTemporarilyUnavailable extends RaftError {
  constructor() {
    super('snapshot is temporarily unavailable');
  }
}

/** A local-only message type (MsgHup, MsgBeat, ...) was passed to step from the network. */
export class ErrStepLocalMsg extends RaftError {
  constructor() {
    super('raft: cannot step raft local message');
  }
}

/** A response came from a node that is not in the configuration. */
export class ErrStepPeerNotFound extends RaftError {
  constructor() {
    super('raft: cannot step as peer not found');
  }
}

/** The configuration is invalid (e.g. no election or heartbeat tick, or a removed id). */
export class ErrConfig extends RaftError {}

/** A membership change that cannot be applied to the current config. */
export class ErrConfChange extends RaftError {}
