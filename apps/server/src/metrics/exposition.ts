// Reads Prometheus' text exposition format (what GET /metrics returns, ours and etcd's) into families,
// for tests that compare scrapes and check alert rules against them.

export interface Sample {
  /** The series name (a histogram's samples end in _bucket, _sum, _count). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parseValue(v: string): number {
  if (v === '+Inf') return Number.POSITIVE_INFINITY;
  if (v === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(v);
}

/** The family a sample belongs to: its own name, or the histogram/summary it is a part of. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const own = families.get(name);
  if (own) return own;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const f = families.get(name.slice(0, -suffix.length));
    if (f && (f.type === 'histogram' || f.type === 'summary')) return f;
  }
  return undefined;
}

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) {
      f = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      const rest = line.slice(7);
      const sp = rest.indexOf(' ');
      family(sp < 0 ? rest : rest.slice(0, sp)).help = sp < 0 ? '' : rest.slice(sp + 1);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      family(name!).type = type!;
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, '$1');
    const sample = { name: m[1]!, labels, value: parseValue(m[3]!) };
    (familyOf(sample.name, families) ?? family(sample.name)).samples.push(sample);
  }
  return families;
}

/** Label names a family's samples carry, less the histogram's `le` (sorted). */
export function labelNames(f: Family): string[] {
  const names = new Set<string>();
  for (const s of f.samples) for (const k of Object.keys(s.labels)) if (k !== 'le') names.add(k);
  return [...names].sort();
}

/** A histogram's bucket bounds (sorted, +Inf last). */
export function bucketBounds(f: Family): number[] {
  const bounds = new Set<number>();
  for (const s of f.samples) if (s.name.endsWith('_bucket')) bounds.add(parseValue(s.labels.le!));
  return [...bounds].sort((a, b) => a - b);
}

/** The sum of a family's samples named `name` whose labels include `match`. */
export function sampleSum(f: Family | undefined, name: string, match: Record<string, string> = {}): number {
  let n = 0;
  for (const s of f?.samples ?? [])
    if (s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)) n += s.value;
  return n;
}
