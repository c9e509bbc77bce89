// The plainest HPACK encoding: every field a literal without indexing and without Huffman coding. It
// never touches the peer's dynamic table, so a block can be re-encoded in the middle of a connection
// whose other blocks someone else encodes.
import { staticTable } from './tables.js';

const nameIndex = new Map<string, number>();
staticTable.forEach(([name], i) => {
  if (!nameIndex.has(name)) nameIndex.set(name, i + 1);
});

function pushInt(out: number[], value: number, prefixBits: number, first: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(first | value);
    return;
  }
  out.push(first | max);
  let v = value - max;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function pushString(out: number[], s: string): void {
  const bytes = Buffer.from(s, 'latin1');
  pushInt(out, bytes.length, 7, 0);
  for (const b of bytes) out.push(b);
}

/** Encodes [name, value] pairs (latin1 strings) as one header block of literals without indexing. */
export function encodeLiteralBlock(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  const out: number[] = [];
  for (const [name, value] of fields) {
    const idx = nameIndex.get(name);
    if (idx === undefined) {
      out.push(0);
      pushString(out, name);
    } else {
      pushInt(out, idx, 4, 0);
    }
    pushString(out, value);
  }
  return Buffer.from(out);
}
