// Compact binary encoding of raft's data for the WAL and the peer transport. Pure functions, no I/O.
// Integers are unsigned LEB128 varints (numbers up to 2^53, node ids up to 2^64), byte strings are
// length-prefixed. Each top-level encoding starts with a kind byte so that a mix-up fails loudly.
import { RaftError } from './errors.js';
import {
  type ConfChange,
  type ConfChangeSingle,
  type ConfChangeTransition,
  type ConfChangeType,
  type ConfChangeV2,
  type ConfState,
  EMPTY,
  type Entry,
  type EntryType,
  type HardState,
  type Message,
  type MessageType,
  type Snapshot,
} from './types.js';

export class ErrCodec extends RaftError {}

const KIND_ENTRY = 0x45; // 'E'
const KIND_HARDSTATE = 0x48; // 'H'
const KIND_MESSAGE = 0x4d; // 'M'
const KIND_SNAPSHOT = 0x53; // 'S'
const KIND_CONFCHANGE = 0x43; // 'C'
const KIND_CONFCHANGE_V2 = 0x32; // '2'
const KIND_CONFSTATE = 0x63; // 'c'

// Encoders write into one scratch buffer (they never run concurrently) and copy the result out once.
let scratch = new Uint8Array(64 * 1024);

class Writer {
  buf: Uint8Array;
  pos = 0;

  constructor(size = 64) {
    if (scratch.length < size) scratch = new Uint8Array(Math.max(size, scratch.length * 2));
    this.buf = scratch;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
    scratch = b;
  }

  byte(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  uint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new ErrCodec(`cannot encode ${v} as an unsigned integer`);
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  big(v: bigint): void {
    if (v < 0n || v > 0xffffffffffffffffn) throw new ErrCodec(`cannot encode ${v} as a uint64`);
    this.ensure(10);
    if (v < 0x80n) {
      this.buf[this.pos++] = Number(v);
      return;
    }
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  bytes(b: Uint8Array): void {
    this.uint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

class Reader {
  pos = 0;
  private buf: Uint8Array;
  private copied = false;

  constructor(input: Uint8Array) {
    this.buf = input;
  }

  byte(): number {
    if (this.pos >= this.buf.length) throw new ErrCodec('unexpected end of input');
    return this.buf[this.pos++];
  }

  uint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) throw new ErrCodec('integer out of range');
        return result;
      }
      mul *= 0x80;
    }
    throw new ErrCodec('varint too long');
  }

  big(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result;
      shift += 7n;
    }
    throw new ErrCodec('varint too long');
  }

  bytes(): Uint8Array {
    const n = this.uint();
    if (this.pos + n > this.buf.length) throw new ErrCodec('unexpected end of input');
    if (n === 0) return EMPTY;
    // Byte strings are views into one private copy of the input, made on the first one: one allocation
    // per decode, and the result never aliases the caller's buffer.
    if (!this.copied) {
      this.buf = this.buf.slice();
      this.copied = true;
    }
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  kind(k: number): void {
    const got = this.byte();
    if (got !== k) throw new ErrCodec(`expected record kind ${k}, got ${got}`);
  }

  end(): void {
    if (this.pos !== this.buf.length) throw new ErrCodec(`${this.buf.length - this.pos} trailing bytes`);
  }
}

function writeEntry(w: Writer, e: Entry): void {
  w.uint(e.term);
  w.uint(e.index);
  w.byte(e.type);
  w.bytes(e.data);
}

function readEntry(r: Reader): Entry {
  const term = r.uint();
  const index = r.uint();
  const type = r.byte() as EntryType;
  if (type > 2) throw new ErrCodec(`unknown entry type ${type}`);
  return { term, index, type, data: r.bytes() };
}

function writeIds(w: Writer, ids: bigint[]): void {
  w.uint(ids.length);
  for (const id of ids) w.big(id);
}

function readIds(r: Reader): bigint[] {
  const n = r.uint();
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) out.push(r.big());
  return out;
}

function writeConfState(w: Writer, cs: ConfState): void {
  writeIds(w, cs.voters);
  writeIds(w, cs.learners);
  writeIds(w, cs.votersOutgoing);
  writeIds(w, cs.learnersNext);
  w.byte(cs.autoLeave ? 1 : 0);
}

function readConfState(r: Reader): ConfState {
  return {
    voters: readIds(r),
    learners: readIds(r),
    votersOutgoing: readIds(r),
    learnersNext: readIds(r),
    autoLeave: r.byte() === 1,
  };
}

function writeSnapshot(w: Writer, s: Snapshot): void {
  w.uint(s.metadata.index);
  w.uint(s.metadata.term);
  writeConfState(w, s.metadata.confState);
  w.bytes(s.data);
}

function readSnapshot(r: Reader): Snapshot {
  const index = r.uint();
  const term = r.uint();
  const confState = readConfState(r);
  return { metadata: { index, term, confState }, data: r.bytes() };
}

export function encodeEntry(e: Entry): Uint8Array {
  const w = new Writer(e.data.length + 24);
  w.byte(KIND_ENTRY);
  writeEntry(w, e);
  return w.finish();
}

export function decodeEntry(b: Uint8Array): Entry {
  const r = new Reader(b);
  r.kind(KIND_ENTRY);
  const e = readEntry(r);
  r.end();
  return e;
}

export function encodeHardState(h: HardState): Uint8Array {
  const w = new Writer(24);
  w.byte(KIND_HARDSTATE);
  w.uint(h.term);
  w.big(h.vote);
  w.uint(h.commit);
  return w.finish();
}

export function decodeHardState(b: Uint8Array): HardState {
  const r = new Reader(b);
  r.kind(KIND_HARDSTATE);
  const h = { term: r.uint(), vote: r.big(), commit: r.uint() };
  r.end();
  return h;
}

export function encodeConfState(cs: ConfState): Uint8Array {
  const w = new Writer();
  w.byte(KIND_CONFSTATE);
  writeConfState(w, cs);
  return w.finish();
}

export function decodeConfState(b: Uint8Array): ConfState {
  const r = new Reader(b);
  r.kind(KIND_CONFSTATE);
  const cs = readConfState(r);
  r.end();
  return cs;
}

export function encodeSnapshot(s: Snapshot): Uint8Array {
  const w = new Writer(s.data.length + 64);
  w.byte(KIND_SNAPSHOT);
  writeSnapshot(w, s);
  return w.finish();
}

export function decodeSnapshot(b: Uint8Array): Snapshot {
  const r = new Reader(b);
  r.kind(KIND_SNAPSHOT);
  const s = readSnapshot(r);
  r.end();
  return s;
}

export function encodeMessage(m: Message): Uint8Array {
  let size = 64 + m.context.length;
  for (const e of m.entries) size += e.data.length + 24;
  if (m.snapshot) size += m.snapshot.data.length + 64;
  const w = new Writer(size);
  w.byte(KIND_MESSAGE);
  w.byte(m.type);
  w.big(m.to);
  w.big(m.from);
  w.uint(m.term);
  w.uint(m.logTerm);
  w.uint(m.index);
  w.uint(m.commit);
  w.byte((m.reject ? 1 : 0) | (m.snapshot ? 2 : 0));
  w.uint(m.rejectHint);
  w.bytes(m.context);
  w.uint(m.entries.length);
  for (const e of m.entries) writeEntry(w, e);
  if (m.snapshot) writeSnapshot(w, m.snapshot);
  return w.finish();
}

export function decodeMessage(b: Uint8Array): Message {
  const r = new Reader(b);
  r.kind(KIND_MESSAGE);
  const type = r.byte() as MessageType;
  if (type > 18) throw new ErrCodec(`unknown message type ${type}`);
  const to = r.big();
  const from = r.big();
  const term = r.uint();
  const logTerm = r.uint();
  const index = r.uint();
  const commit = r.uint();
  const flags = r.byte();
  const rejectHint = r.uint();
  const context = r.bytes();
  const n = r.uint();
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) entries.push(readEntry(r));
  const m: Message = {
    type,
    to,
    from,
    term,
    logTerm,
    index,
    commit,
    reject: (flags & 1) !== 0,
    rejectHint,
    context,
    entries,
  };
  if (flags & 2) m.snapshot = readSnapshot(r);
  r.end();
  return m;
}

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const w = new Writer(cc.context.length + 32);
  w.byte(KIND_CONFCHANGE);
  w.byte(cc.type);
  w.big(cc.nodeId);
  w.uint(cc.id);
  w.bytes(cc.context);
  return w.finish();
}

export function decodeConfChange(b: Uint8Array): ConfChange {
  const r = new Reader(b);
  r.kind(KIND_CONFCHANGE);
  const type = r.byte() as ConfChangeType;
  const nodeId = r.big();
  const id = r.uint();
  const context = r.bytes();
  r.end();
  return { type, nodeId, id, context };
}

export function encodeConfChangeV2(cc: ConfChangeV2): Uint8Array {
  const w = new Writer(cc.context.length + 16 + cc.changes.length * 12);
  w.byte(KIND_CONFCHANGE_V2);
  w.byte(cc.transition);
  w.uint(cc.changes.length);
  for (const c of cc.changes) {
    w.byte(c.type);
    w.big(c.nodeId);
  }
  w.bytes(cc.context);
  return w.finish();
}

export function decodeConfChangeV2(b: Uint8Array): ConfChangeV2 {
  // The empty encoding is the empty change that leaves a joint config.
  if (b.length === 0) return { transition: 0, changes: [], context: EMPTY };
  const r = new Reader(b);
  r.kind(KIND_CONFCHANGE_V2);
  const transition = r.byte() as ConfChangeTransition;
  const n = r.uint();
  const changes: ConfChangeSingle[] = [];
  for (let i = 0; i < n; i++) changes.push({ type: r.byte() as ConfChangeType, nodeId: r.big() });
  const context = r.bytes();
  r.end();
  return { transition, changes, context };
}

/** Decodes the membership change carried by an entry of type EntryConfChange or EntryConfChangeV2. */
export function decodeEntryConfChange(e: Entry): ConfChange | ConfChangeV2 {
  if (e.type === 1) return decodeConfChange(e.data);
  if (e.type === 2) return decodeConfChangeV2(e.data);
  throw new ErrCodec('entry does not hold a membership change');
}
