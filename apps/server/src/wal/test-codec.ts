import type { WalCodec } from './wal.js';

// A plain codec for the WAL's own tests and crash child: entries as JSON.
export interface TestEntry {
  index: number;
  term: number;
  data: string;
}
export interface TestState {
  term: number;
  vote: number;
  commit: number;
}

export const testCodec: WalCodec<TestEntry, TestState> = {
  encodeEntry: (e) => Buffer.from(JSON.stringify(e)),
  decodeEntry: (b) => JSON.parse(Buffer.from(b).toString()),
  entryIndex: (e) => e.index,
  encodeState: (s) => Buffer.from(JSON.stringify(s)),
  decodeState: (b) => JSON.parse(Buffer.from(b).toString()),
};
