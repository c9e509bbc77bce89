// Go's text/tabwriter as cobra's help uses it (minwidth 0, tabwidth 8, padding 1, padded with tabs):
// tab-terminated cells line up in columns over blocks of consecutive lines that have them.

const TABWIDTH = 8;

export function tabwrite(text: string): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const out: string[] = [];
  const widths: number[] = [];
  const len = (s: string) => [...s].length;

  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      let s = '';
      lines[i].forEach((cell, j) => {
        s += cell;
        if (j < widths.length && j < lines[i].length - 1) {
          const cellw = Math.ceil(widths[j] / TABWIDTH) * TABWIDTH;
          s += '\t'.repeat(Math.ceil((cellw - len(cell)) / TABWIDTH));
        }
      });
      out.push(s);
    }
  };

  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t].length - 1) continue;
      writeLines(line0, t);
      line0 = t;
      let width = 0;
      for (; t < line1 && column < lines[t].length - 1; t++)
        width = Math.max(width, len(lines[t][column]) + 1);
      widths.push(width);
      format(line0, t);
      widths.pop();
      line0 = t;
      t--;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join('\n');
}
