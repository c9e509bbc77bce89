// etcd's --config-file: a YAML file whose keys are the flag names, with the TLS flags nested under
// client-transport-security and peer-transport-security. etcd 3.4 then ignores every other flag and
// ETCD_* variable. The YAML read here is the subset etcd's sample and generated configs use: `key: value`
// lines, one level of nesting, quoted or bare scalars, `[a, b]` and `- item` lists, `#` comments.

/** One nested TLS block's keys, mapped to the flag each stands for. */
const TRANSPORT_KEYS: Record<string, Record<string, string>> = {
  'client-transport-security': {
    'cert-file': 'cert-file',
    'key-file': 'key-file',
    'client-cert-auth': 'client-cert-auth',
    'trusted-ca-file': 'trusted-ca-file',
    'auto-tls': 'auto-tls',
    'crl-file': 'client-crl-file',
  },
  'peer-transport-security': {
    'cert-file': 'peer-cert-file',
    'key-file': 'peer-key-file',
    'client-cert-auth': 'peer-client-cert-auth',
    'trusted-ca-file': 'peer-trusted-ca-file',
    'auto-tls': 'peer-auto-tls',
    'crl-file': 'peer-crl-file',
  },
};

type Scalar = string | null;

function stripComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

function scalar(raw: string): Scalar {
  const t = raw.trim();
  if (t === '' || t === '~' || t === 'null') return null;
  if ((t.startsWith("'") && t.endsWith("'")) || (t.startsWith('"') && t.endsWith('"'))) {
    return t.length >= 2 ? t.slice(1, -1) : '';
  }
  if (t.startsWith('[') && t.endsWith(']')) {
    return t
      .slice(1, -1)
      .split(',')
      .map((x) => scalar(x) ?? '')
      .filter((x) => x !== '')
      .join(',');
  }
  return t;
}

/**
 * The flag values a config file sets, as flag name -> text (what the same flag would take on the command
 * line; lists are joined with commas). Null and empty values are left out: they mean the default.
 */
export function parseConfigFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let block: string | undefined; // the top-level key whose indented lines follow
  let list: string[] | undefined;
  const set = (key: string, value: Scalar) => {
    if (value !== null && value !== '') out.set(key, value);
  };
  const endList = () => {
    if (block && list) set(block, list.join(','));
    list = undefined;
  };
  for (const rawLine of text.split(/\r?\n/)) {
    const line = stripComment(rawLine).replace(/\s+$/, '');
    if (line.trim() === '') continue;
    const indented = /^\s/.test(line);
    const body = line.trim();
    if (indented && block !== undefined) {
      if (body.startsWith('- ') || body === '-') {
        list ??= [];
        const v = scalar(body.slice(1));
        if (v) list.push(v);
        continue;
      }
      const m = /^([A-Za-z0-9_-]+):(.*)$/.exec(body);
      const flag = m ? TRANSPORT_KEYS[block]?.[m[1]!] : undefined;
      if (m && flag) set(flag, scalar(m[2]!));
      continue;
    }
    endList();
    const m = /^([A-Za-z0-9_-]+):(.*)$/.exec(body);
    if (!m) throw new Error(`yaml: line "${body}" is not "key: value"`);
    block = m[1]!;
    if (m[2]!.trim() !== '') set(block, scalar(m[2]!));
  }
  endList();
  return out;
}
