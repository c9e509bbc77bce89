#!/usr/bin/env node
// Adds up the TAP results every package's test run left behind and prints one closing line.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let pass = 0;
let fail = 0;
let skip = 0;
for (const top of ['packages', 'apps', 'tests']) {
  if (!existsSync(top)) continue;
  for (const name of readdirSync(top)) {
    const f = join(top, name, '.test-results.tap');
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    // The runner's totals are the last "# pass N" style lines at column 0.
    const last = (key) => {
      const m = [...text.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))];
      return m.length ? Number(m[m.length - 1][1]) : 0;
    };
    const p = last('pass');
    const fl = last('fail') + last('cancelled');
    const s = last('skipped');
    console.log(`${top}/${name}: ${p} passed, ${fl} failed, ${s} skipped`);
    pass += p;
    fail += fl;
    skip += s;
  }
}
console.log(`${pass} passed, ${fail} failed, ${skip} skipped`);
process.exit(fail > 0 ? 1 : 0);
