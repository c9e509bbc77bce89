// An HPACK (RFC 7541) decoder: etcdctl's lean get/put/del path reads a gRPC response's
// headers and trailers with it (without node:http2), the server's front end a grpc-go request's.
import { huffmanCodes, staticTable } from './tables.js';

export class HpackError extends Error {}

/** Huffman decoding tree: node i's children are at tree[2i] (bit 0) and tree[2i+1]; leaves hold ~symbol. */
let tree: Int32Array | undefined;

function huffmanTree(): Int32Array {
  if (tree) return tree;
  const t = new Int32Array(2 * 1024).fill(0);
  let nodes = 1;
  huffmanCodes.forEach(([code, len], sym) => {
    let n = 0;
    for (let b = len - 1; b >= 0; b--) {
      const slot = 2 * n + ((code >>> b) & 1);
      if (b === 0) t[slot] = ~sym;
      else {
        if (t[slot] === 0) t[slot] = nodes++;
        n = t[slot];
      }
    }
  });
  tree = t;
  return t;
}

function huffmanDecode(b: Uint8Array): string {
  const t = huffmanTree();
  const out: number[] = [];
  let n = 0;
  let depth = 0;
  for (const byte of b) {
    for (let i = 7; i >= 0; i--) {
      const next = t[2 * n + ((byte >> i) & 1)];
      depth++;
      if (next < 0) {
        if (~next === 256) throw new HpackError('EOS in a Huffman string');
        out.push(~next);
        n = 0;
        depth = 0;
      } else if (next === 0) throw new HpackError('bad Huffman code');
      else n = next;
    }
  }
  // what is left must be padding: fewer than 8 bits of the EOS prefix (all ones)
  if (depth > 7) throw new HpackError('bad Huffman padding');
  return Buffer.from(out).toString('latin1');
}

export class HpackDecoder {
  private dynamic: Array<[string, string]> = [];
  private size = 0;
  private max = 4096;

  private entry(index: number): [string, string] {
    if (index >= 1 && index <= staticTable.length) return staticTable[index - 1] as [string, string];
    const e = this.dynamic[index - staticTable.length - 1];
    if (!e) throw new HpackError(`no header table entry ${index}`);
    return e;
  }

  private add(name: string, value: string): void {
    this.dynamic.unshift([name, value]);
    this.size += name.length + value.length + 32;
    this.evict();
  }

  private evict(): void {
    while (this.size > this.max && this.dynamic.length > 0) {
      const [n, v] = this.dynamic.pop() as [string, string];
      this.size -= n.length + v.length + 32;
    }
  }

  /** Decodes one header block into [name, value] pairs (names and values as latin1 strings). */
  decode(block: Uint8Array): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    let at = 0;
    const int = (prefixBits: number): number => {
      const mask = (1 << prefixBits) - 1;
      let v = block[at++] & mask;
      if (v < mask) return v;
      let shift = 0;
      for (;;) {
        if (at >= block.length) throw new HpackError('truncated integer');
        const b = block[at++];
        v += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (b < 0x80) return v;
        if (shift > 28) throw new HpackError('integer too large');
      }
    };
    const str = (): string => {
      if (at >= block.length) throw new HpackError('truncated string');
      const huffman = (block[at] & 0x80) !== 0;
      const len = int(7);
      if (at + len > block.length) throw new HpackError('truncated string');
      const bytes = block.subarray(at, at + len);
      at += len;
      return huffman ? huffmanDecode(bytes) : Buffer.from(bytes).toString('latin1');
    };
    while (at < block.length) {
      const b = block[at];
      if (b & 0x80) {
        out.push([...this.entry(int(7))] as [string, string]);
      } else if (b & 0x40) {
        const idx = int(6);
        const name = idx === 0 ? str() : this.entry(idx)[0];
        const value = str();
        this.add(name, value);
        out.push([name, value]);
      } else if (b & 0x20) {
        this.max = int(5);
        this.evict();
      } else {
        // literal without indexing (0000) or never indexed (0001): both four-bit name indexes
        const idx = int(4);
        const name = idx === 0 ? str() : this.entry(idx)[0];
        out.push([name, str()]);
      }
    }
    return out;
  }
}
