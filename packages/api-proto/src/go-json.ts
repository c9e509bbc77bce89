// A JSON reader that fails the way Go's encoding/json does, because etcd's gateway passes those error
// texts to clients verbatim. It also keeps number literals as text: int64 values such as lease IDs may be
// sent unquoted and must not go through a double.

export type JsonNode =
  | { kind: 'object'; entries: Map<string, JsonNode> }
  | { kind: 'array'; items: JsonNode[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; text: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' };

export class JsonSyntaxError extends Error {}

/** Go's quoteChar: how encoding/json names an offending character. */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return `'"'`;
  const q = JSON.stringify(c);
  return `'${q.slice(1, -1)}'`;
}

const WS = new Set([' ', '\t', '\n', '\r']);

class Reader {
  pos = 0;
  constructor(
    readonly text: string,
    readonly eofMessage: string,
  ) {}

  fail(context: string): never {
    if (this.pos >= this.text.length) throw new JsonSyntaxError(this.eofMessage);
    const cp = this.text.codePointAt(this.pos)!;
    throw new JsonSyntaxError(`invalid character ${quoteChar(String.fromCodePoint(cp))} ${context}`);
  }

  skipWs(): void {
    while (this.pos < this.text.length && WS.has(this.text[this.pos]!)) this.pos++;
  }

  value(): JsonNode {
    this.skipWs();
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.object();
      case '[':
        return this.array();
      case '"':
        return { kind: 'string', value: this.string() };
      case 't':
        this.literal('true');
        return { kind: 'bool', value: true };
      case 'f':
        this.literal('false');
        return { kind: 'bool', value: false };
      case 'n':
        this.literal('null');
        return { kind: 'null' };
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9'))
          return { kind: 'number', text: this.number() };
        return this.fail('looking for beginning of value');
    }
  }

  literal(word: string): void {
    for (let i = 1; i < word.length; i++) {
      this.pos++;
      if (this.text[this.pos] !== word[i]) this.fail(`in literal ${word} (expecting ${quoteChar(word[i]!)})`);
    }
    this.pos++;
  }

  number(): string {
    const start = this.pos;
    const digit = () => {
      const ch = this.text[this.pos];
      return ch !== undefined && ch >= '0' && ch <= '9';
    };
    if (this.text[this.pos] === '-') {
      this.pos++;
      if (!digit()) this.fail('in numeric literal');
    }
    if (this.text[this.pos] === '0') this.pos++;
    else while (digit()) this.pos++;
    if (this.text[this.pos] === '.') {
      this.pos++;
      if (!digit()) this.fail('after decimal point in numeric literal');
      while (digit()) this.pos++;
    }
    if (this.text[this.pos] === 'e' || this.text[this.pos] === 'E') {
      this.pos++;
      if (this.text[this.pos] === '+' || this.text[this.pos] === '-') this.pos++;
      if (!digit()) this.fail('in exponent of numeric literal');
      while (digit()) this.pos++;
    }
    return this.text.slice(start, this.pos);
  }

  string(): string {
    this.pos++; // opening quote
    let out = '';
    let runStart = this.pos;
    for (;;) {
      if (this.pos >= this.text.length) this.fail('in string literal');
      const ch = this.text.charCodeAt(this.pos);
      if (ch === 0x22) {
        out += this.text.slice(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (ch < 0x20) this.fail('in string literal');
      if (ch !== 0x5c) {
        this.pos++;
        continue;
      }
      out += this.text.slice(runStart, this.pos);
      this.pos++;
      const esc = this.text[this.pos];
      const simple: Record<string, string> = {
        '"': '"',
        '\\': '\\',
        '/': '/',
        b: '\b',
        f: '\f',
        n: '\n',
        r: '\r',
        t: '\t',
      };
      if (esc !== undefined && esc in simple) {
        out += simple[esc];
        this.pos++;
      } else if (esc === 'u') {
        let code = 0;
        for (let i = 0; i < 4; i++) {
          this.pos++;
          const h = this.text[this.pos];
          if (h === undefined || !/[0-9a-fA-F]/.test(h)) this.fail('in \\u hexadecimal character escape');
          code = code * 16 + Number.parseInt(h, 16);
        }
        this.pos++;
        out += String.fromCharCode(code);
      } else {
        this.fail('in string escape code');
      }
      runStart = this.pos;
    }
  }

  object(): JsonNode {
    this.pos++;
    const entries = new Map<string, JsonNode>();
    this.skipWs();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return { kind: 'object', entries };
    }
    for (;;) {
      this.skipWs();
      if (this.text[this.pos] !== '"') this.fail('looking for beginning of object key string');
      const key = this.string();
      this.skipWs();
      if (this.text[this.pos] !== ':') this.fail('after object key');
      this.pos++;
      entries.set(key, this.value());
      this.skipWs();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '}') {
        this.pos++;
        return { kind: 'object', entries };
      }
      this.fail('after object key:value pair');
    }
  }

  array(): JsonNode {
    this.pos++;
    const items: JsonNode[] = [];
    this.skipWs();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return { kind: 'array', items };
    }
    for (;;) {
      items.push(this.value());
      this.skipWs();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return { kind: 'array', items };
      }
      this.fail('after array element');
    }
  }
}

/**
 * Reads consecutive JSON values from `text` the way a Go json.Decoder does: whitespace-separated values,
 * stopping after `max` values (the gateway reads one value for a unary call and ignores what follows).
 */
export function parseJsonValues(text: string, max = Number.POSITIVE_INFINITY): JsonNode[] {
  // A json.Decoder that runs out of input mid-value says "unexpected EOF".
  const r = new Reader(text, 'unexpected EOF');
  const out: JsonNode[] = [];
  for (;;) {
    if (out.length >= max) return out;
    r.skipWs();
    if (r.pos >= text.length) return out;
    out.push(r.value());
  }
}

/** Reads exactly one JSON value as Go's json.Unmarshal does (nothing but whitespace may follow). */
export function parseJsonValue(text: string): JsonNode {
  const r = new Reader(text, 'unexpected end of JSON input');
  const value = r.value();
  r.skipWs();
  if (r.pos < text.length) r.fail('after top-level value');
  return value;
}

/** Go's name for a JSON value's kind in "cannot unmarshal X into Go value of type T". */
export function goKind(node: JsonNode): string {
  return node.kind === 'bool' ? 'bool' : node.kind;
}

const HTML_UNSAFE: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** A JSON string literal escaped as Go's encoding/json writes it (HTML-safe, \u00XX for controls). */
export function goQuote(s: string): string {
  let out = '"';
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const code = s.charCodeAt(i);
    let rep: string | undefined;
    if (ch === '"') rep = '\\"';
    else if (ch === '\\') rep = '\\\\';
    else if (code < 0x20) {
      rep =
        ch === '\n'
          ? '\\n'
          : ch === '\r'
            ? '\\r'
            : ch === '\t'
              ? '\\t'
              : `\\u00${code.toString(16).padStart(2, '0')}`;
    } else if (ch in HTML_UNSAFE) rep = HTML_UNSAFE[ch];
    else if (code >= 0xd800 && code <= 0xdfff) {
      // A lone surrogate is invalid UTF-8 on Go's side and prints as U+FFFD; pairs pass through.
      const next = s.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      rep = '\ufffd';
    }
    if (rep !== undefined) {
      out += s.slice(run, i) + rep;
      run = i + 1;
    }
  }
  return out + s.slice(run) + '"';
}
