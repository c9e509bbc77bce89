#!/usr/bin/env node
// Writes src/hot-flags.ts: the pflag definitions of the global flags and of get/put/del, derived from
// their oclif declarations (dist/oclif/declarations.js, so run after tsc). The fast path parses with
// this table instead of loading oclif; src/hot-flags.test.ts fails when it is stale.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { hotFlagTable, renderHotFlags } = require('../dist/oclif/hot-table.js');
writeFileSync(new URL('../src/hot-flags.ts', import.meta.url), renderHotFlags(hotFlagTable()));
