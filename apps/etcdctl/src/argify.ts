// etcdctl's argify: splits an interactive line into arguments, honouring "double" and 'single' quotes.
export function argify(s: string): string[] {
  const re = /"(?:[^"\\]|\\.)*"|'[^']*'|[^'"\s]\S*[^'"\s]?/g;
  const out: string[] = [];
  for (const m of s.matchAll(re)) {
    let a = m[0];
    if (a.startsWith("'")) a = a.slice(1, -1);
    else if (a.startsWith('"')) {
      try {
        a = JSON.parse(a);
      } catch {
        a = a.slice(1, -1);
      }
    }
    out.push(a);
  }
  return out;
}
