// The ASCII table of olekukonko/tablewriter as etcdctl configures it: upper-case centred headers,
// right-aligned cells, one space of padding.
export function renderTable(hdr: string[], rows: string[][]): string {
  const head = hdr.map((h) => h.toUpperCase());
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+\n`;
  const center = (s: string, w: number) => {
    const gap = w - s.length;
    const left = Math.floor(gap / 2);
    return ' '.repeat(left) + s + ' '.repeat(gap - left);
  };
  let s = line;
  s += `|${head.map((h, i) => ` ${center(h, widths[i])} `).join('|')}|\n`;
  s += line;
  for (const r of rows) s += `|${widths.map((w, i) => ` ${(r[i] ?? '').padStart(w)} `).join('|')}|\n`;
  s += line;
  return s;
}
