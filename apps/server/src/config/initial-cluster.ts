import { checkUrl } from './urls.js';

/** name -> peer URLs, from "--initial-cluster a=http://h1:2380,b=http://h2:2380,a=http://h1b:2380". */
export function parseInitialCluster(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const url = eq < 0 ? '' : part.slice(eq + 1);
    checkUrl(url);
    const list = out.get(name) ?? [];
    list.push(url);
    out.set(name, list);
  }
  return out;
}
