// Go's fmt verbs that etcdctl's output depends on: %q (strconv.Quote), %x of uint64, %v of []string,
// and go-humanize's Bytes.

/** strconv.Quote of a byte string: printable UTF-8 kept, the rest escaped as Go does. */
export function goQuote(b: Uint8Array | string): string {
  const buf = typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  let out = '"';
  let i = 0;
  while (i < buf.length) {
    const c = buf[i];
    if (c < 0x80) {
      out += quoteAscii(c);
      i++;
      continue;
    }
    const [cp, size] = decodeRune(buf, i);
    if (cp < 0) {
      out += `\\x${hex2(c)}`;
      i++;
      continue;
    }
    out += isGoPrintable(cp) ? String.fromCodePoint(cp) : escapeRune(cp);
    i += size;
  }
  return `${out}"`;
}

function quoteAscii(c: number): string {
  switch (c) {
    case 0x07:
      return '\\a';
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    case 0x0b:
      return '\\v';
    case 0x22:
      return '\\"';
    case 0x5c:
      return '\\\\';
  }
  if (c < 0x20 || c === 0x7f) return `\\x${hex2(c)}`;
  return String.fromCharCode(c);
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function escapeRune(cp: number): string {
  if (cp < 0x10000) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\U${cp.toString(16).padStart(8, '0')}`;
}

// Approximates unicode.IsPrint: letters, marks, numbers, punctuation, symbols and U+0020.
const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
function isGoPrintable(cp: number): boolean {
  return printable.test(String.fromCodePoint(cp));
}

/** Decodes one UTF-8 rune; [-1, 1] when the bytes are not valid UTF-8 (Go's RuneError case). */
function decodeRune(b: Buffer, i: number): [number, number] {
  const c = b[i];
  let need: number;
  let cp: number;
  let min: number;
  if (c >= 0xc2 && c <= 0xdf) {
    need = 1;
    cp = c & 0x1f;
    min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    need = 2;
    cp = c & 0x0f;
    min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    need = 3;
    cp = c & 0x07;
    min = 0x10000;
  } else return [-1, 1];
  if (i + need >= b.length) return [-1, 1];
  for (let k = 1; k <= need; k++) {
    const d = b[i + k];
    if (d === undefined || (d & 0xc0) !== 0x80) return [-1, 1];
    cp = (cp << 6) | (d & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return [-1, 1];
  return [cp, need + 1];
}

/** fmt's %016x of a uint64 held as a bigint (negative int64 values print as their two's complement). */
export function hex16(id: bigint): string {
  return BigInt.asUintN(64, id).toString(16).padStart(16, '0');
}

/** fmt's %x of a uint64. */
export function hexId(id: bigint): string {
  return BigInt.asUintN(64, id).toString(16);
}

/** fmt's %v of a []string: [a b c]. */
export function goStringSlice(items: string[]): string {
  return `[${items.join(' ')}]`;
}

/** go-humanize Bytes: SI units with one decimal below 10, none above ("25 kB", "4.1 MB"). */
export function humanizeBytes(n: number): string {
  if (n < 10) return `${n} B`;
  const sizes = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  const e = Math.floor(Math.log(n) / Math.log(1000));
  const suffix = sizes[e];
  const val = Math.floor((n / 1000 ** e) * 10 + 0.5) / 10;
  return val < 10 ? `${val.toFixed(1)} ${suffix}` : `${val.toFixed(0)} ${suffix}`;
}

/** Go's time.Duration String() for a duration in milliseconds (fractional allowed). */
export function goDuration(ms: number): string {
  const ns = Math.round(ms * 1e6);
  if (ns === 0) return '0s';
  if (ns < 1000) return `${ns}ns`;
  if (ns < 1e6) return `${trimFloat(ns / 1e3)}µs`;
  if (ns < 1e9) return `${trimFloat(ns / 1e6)}ms`;
  let s = ns / 1e9;
  let out = '';
  const h = Math.floor(s / 3600);
  if (h > 0) {
    out += `${h}h`;
    s -= h * 3600;
  }
  const m = Math.floor(s / 60);
  if (h > 0 || m > 0) {
    out += `${m}m`;
    s -= m * 60;
  }
  return `${out}${trimFloat(Math.round(s * 1e9) / 1e9)}s`;
}

function trimFloat(x: number): string {
  return String(Number(x.toFixed(9)));
}

/** Parses a Go duration ("5s", "300ms", "1m30s", "2"): milliseconds; NaN when invalid. */
export function parseGoDuration(s: string): number {
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  let total = 0;
  let pos = 0;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s[0] === '-' ? -1 : 1;
    pos = 1;
  }
  if (pos >= s.length) return Number.NaN;
  re.lastIndex = pos;
  while (pos < s.length) {
    const m = re.exec(s);
    if (!m) return Number.NaN;
    total += Number(m[1]) * unit[m[2]];
    pos = re.lastIndex;
  }
  return sign * total;
}
