// @kv/raft: a deterministic Raft consensus state machine with no I/O, in the style of etcd-io/raft.
export {
  decodeConfChange,
  decodeConfChangeV2,
  decodeConfState,
  decodeEntry,
  decodeEntryConfChange,
  decodeHardState,
  decodeMessage,
  decodeSnapshot,
  ErrCodec,
  encodeConfChange,
  encodeConfChangeV2,
  encodeConfState,
  encodeEntry,
  encodeHardState,
  encodeMessage,
  encodeSnapshot,
} from './codec.js';
export {
  ErrCompacted,
  ErrConfChange,
  ErrConfig,
  ErrProposalDropped,
  ErrSnapOutOfDate,
  ErrSnapshotTemporarilyUnavailable,
  ErrStepLocalMsg,
  ErrStepPeerNotFound,
  ErrUnavailable,
  RaftError,
} from './errors.js';
export type { BasicStatus, Config, Status } from './raft.js';
export { seededRandom } from './random.js';
export { type Peer, RawNode, type Ready } from './raw-node.js';
export { ReadOnlyOption } from './read-only.js';
export { MemoryStorage, type Storage } from './storage.js';
export { ProgressState } from './tracker/progress.js';
export {
  type ConfChange,
  type ConfChangeSingle,
  ConfChangeTransition,
  ConfChangeType,
  type ConfChangeV2,
  type ConfState,
  confChangeAsV2,
  type Entry,
  EntryType,
  type HardState,
  isEmptyHardState,
  isEmptySnapshot,
  type Message,
  MessageType,
  type NodeId,
  None,
  type ReadState,
  type Snapshot,
  type SnapshotMetadata,
  type SoftState,
  StateType,
} from './types.js';
