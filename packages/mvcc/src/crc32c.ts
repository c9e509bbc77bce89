// CRC-32 with the Castagnoli polynomial (Go's crc32.MakeTable(crc32.Castagnoli)): etcd hashes its key
// history (HashKV) and etcdctl a snapshot file with it. Importable alone as `@kv/mvcc/crc32c`.
let table: Int32Array | undefined;

function castagnoli(): Int32Array {
  if (table) return table;
  table = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[i] = c;
  }
  return table;
}

/** Continues `crc` (0 to start, as Go's crc32.Update) over `data`. */
export function crc32c(data: Uint8Array, crc = 0): number {
  const t = castagnoli();
  let c = ~crc;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
