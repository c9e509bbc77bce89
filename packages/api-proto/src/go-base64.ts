// Standard padded base64 as Go's encoding/base64 StdEncoding reads it, with Go's error texts
// ("illegal base64 data at input byte N"), because etcd's gateway reports those to clients.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

export class Base64Error extends Error {
  constructor(readonly offset: number) {
    super(`illegal base64 data at input byte ${offset}`);
  }
}

/** Decodes padded standard base64; `\r` and `\n` are skipped as Go does. */
export function decodeStdBase64(text: string): Buffer {
  // Go skips newlines in place; we drop them first, so an error offset after a newline counts without it.
  const src = text.includes('\n') || text.includes('\r') ? text.replace(/[\r\n]/g, '') : text;
  const out = Buffer.allocUnsafe(Math.floor((src.length / 4) * 3) + 3);
  let n = 0;
  let si = 0;
  while (si < src.length) {
    const quantum = [0, 0, 0, 0];
    let dlen = 4;
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        // Input ended inside a quantum: padding was required.
        throw new Base64Error(si - j);
      }
      const ch = src.charCodeAt(si);
      si++;
      const v = ch < 128 ? DECODE[ch]! : -1;
      if (v >= 0) {
        quantum[j] = v;
        continue;
      }
      if (ch !== 0x3d /* = */ || j < 2) throw new Base64Error(si - 1);
      // Padding: "xx==" or "xxx=", and nothing may follow it.
      if (j === 2) {
        if (si === src.length) throw new Base64Error(src.length);
        if (src.charCodeAt(si) !== 0x3d) throw new Base64Error(si - 1);
        si++;
      }
      if (si < src.length) throw new Base64Error(si);
      dlen = j;
      break;
    }
    const bits = (quantum[0]! << 18) | (quantum[1]! << 12) | (quantum[2]! << 6) | quantum[3]!;
    out[n++] = (bits >> 16) & 0xff;
    if (dlen > 2) out[n++] = (bits >> 8) & 0xff;
    if (dlen > 3) out[n++] = bits & 0xff;
  }
  return out.subarray(0, n);
}
