#!/usr/bin/env node
// Bundles the CLI (commands, @kv/client, @kv/api-proto, the parts of oclif we use) into one file so that
// start-up reads one script instead of resolving hundreds of modules. Modules stay lazily evaluated:
// esbuild wraps each CommonJS module in an init function that runs on first require.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/main.js'],
  outfile: 'dist/etcdctl.bundle.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
});
