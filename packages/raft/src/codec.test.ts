import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeConfChange,
  decodeConfChangeV2,
  decodeConfState,
  decodeEntry,
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
import { seededRandom } from './random.js';
import {
  ConfChangeTransition,
  ConfChangeType,
  EMPTY,
  EntryType,
  type Message,
  MessageType,
  message,
  type Snapshot,
} from './types.js';

const MAX_U64 = 0xffffffffffffffffn;
const bytes = (...b: number[]) => new Uint8Array(b);

describe('codec', () => {
  it('round-trips entries, including large indexes and empty data', () => {
    for (const e of [
      { term: 0, index: 0, type: EntryType.EntryNormal, data: EMPTY },
      { term: 7, index: 2 ** 53 - 1, type: EntryType.EntryConfChangeV2, data: bytes(0, 255, 128) },
      { term: 2 ** 40, index: 300, type: EntryType.EntryConfChange, data: new Uint8Array(10_000).fill(9) },
    ]) {
      assert.deepEqual(decodeEntry(encodeEntry(e)), e);
    }
  });

  it('round-trips hard states with 64-bit votes', () => {
    for (const h of [
      { term: 0, vote: 0n, commit: 0 },
      { term: 5, vote: MAX_U64, commit: 12345678901 },
    ]) {
      assert.deepEqual(decodeHardState(encodeHardState(h)), h);
    }
  });

  it('round-trips snapshots and conf states (joint, with learners)', () => {
    const s: Snapshot = {
      data: bytes(1, 2, 3),
      metadata: {
        index: 99,
        term: 4,
        confState: {
          voters: [1n, MAX_U64],
          learners: [7n],
          votersOutgoing: [1n, 2n, 3n],
          learnersNext: [3n],
          autoLeave: true,
        },
      },
    };
    assert.deepEqual(decodeSnapshot(encodeSnapshot(s)), s);
    assert.deepEqual(decodeConfState(encodeConfState(s.metadata.confState)), s.metadata.confState);
  });

  it('round-trips every message type with all fields', () => {
    const snap: Snapshot = {
      data: bytes(5),
      metadata: {
        index: 3,
        term: 2,
        confState: { voters: [1n], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
      },
    };
    for (let t = 0; t <= 18; t++) {
      const m: Message = message({
        type: t as MessageType,
        to: 2n,
        from: MAX_U64,
        term: 9,
        logTerm: 8,
        index: 77,
        commit: 70,
        reject: t % 2 === 0,
        rejectHint: 5,
        context: t % 3 === 0 ? EMPTY : bytes(1, 2),
        entries: [
          { term: 8, index: 78, type: EntryType.EntryNormal, data: bytes(42) },
          { term: 9, index: 79, type: EntryType.EntryNormal, data: EMPTY },
        ],
      });
      if (t === MessageType.MsgSnap) m.snapshot = snap;
      assert.deepEqual(decodeMessage(encodeMessage(m)), m);
    }
  });

  it('round-trips conf changes (v1 and v2, and the empty leave-joint change)', () => {
    const v1 = { type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: MAX_U64, context: bytes(1), id: 12 };
    assert.deepEqual(decodeConfChange(encodeConfChange(v1)), v1);
    const v2 = {
      transition: ConfChangeTransition.JointExplicit,
      changes: [
        { type: ConfChangeType.ConfChangeAddNode, nodeId: 4n },
        { type: ConfChangeType.ConfChangeRemoveNode, nodeId: 1n },
      ],
      context: EMPTY,
    };
    assert.deepEqual(decodeConfChangeV2(encodeConfChangeV2(v2)), v2);
    assert.deepEqual(decodeConfChangeV2(EMPTY).changes, []);
  });

  it('rejects truncated, extended and mistyped input with ErrCodec', () => {
    const b = encodeMessage(
      message({ type: MessageType.MsgApp, entries: [{ term: 1, index: 1, type: 0, data: bytes(1, 2, 3) }] }),
    );
    for (let n = 0; n < b.length; n++) assert.throws(() => decodeMessage(b.subarray(0, n)), ErrCodec);
    assert.throws(() => decodeMessage(new Uint8Array([...b, 0])), ErrCodec);
    assert.throws(() => decodeEntry(b), ErrCodec);
    assert.throws(() => decodeHardState(encodeEntry({ term: 1, index: 1, type: 0, data: EMPTY })), ErrCodec);
  });

  it('never throws anything but ErrCodec on random garbage', () => {
    const rnd = seededRandom(1);
    for (let i = 0; i < 2000; i++) {
      const b = new Uint8Array(Math.floor(rnd() * 40)).map(() => Math.floor(rnd() * 256));
      if (b.length > 0) b[0] = 0x4d;
      try {
        decodeMessage(b);
      } catch (e) {
        assert.ok(e instanceof ErrCodec, String(e));
      }
    }
  });

  it('does not alias the input buffer', () => {
    const e = { term: 1, index: 1, type: EntryType.EntryNormal, data: bytes(1, 2, 3) };
    const b = encodeEntry(e);
    const d = decodeEntry(b);
    b.fill(0);
    assert.deepEqual(d.data, bytes(1, 2, 3));
  });
});
