// etcdctl's snapshot status hash: CRC-32C over every bucket name, key and value.
let table: Int32Array | undefined;
/** CRC-32 with the Castagnoli polynomial, as Go's crc32.MakeTable(crc32.Castagnoli) */
export function crc32c(chunks: Buffer[]): number {
  if (!table) {
    table = new Int32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      table[i] = c;
    }
  }
  let crc = -1;
  for (const b of chunks) for (let i = 0; i < b.length; i++) crc = table[(crc ^ b[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
