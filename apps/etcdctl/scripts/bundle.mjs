#!/usr/bin/env node
// Bundles the CLI (commands, @kv/client, @kv/api-proto, the parts of oclif we use) into one file so that
// start-up reads one script instead of resolving hundreds of modules. Modules stay lazily evaluated:
// esbuild wraps each CommonJS module in an init function that runs on first require.
import { build } from 'esbuild';

// Modules that the code paths etcdctl runs never call: grpc-js loads proto-loader (and with it all of
// protobufjs) only for channelz; oclif's spinner frames and help templates belong to its UX layer.
const unused = ['@grpc/proto-loader', 'cli-spinners', 'ejs'];

const stubUnused = {
  name: 'stub-unused',
  setup(b) {
    const filter = new RegExp(`^(${unused.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'stub' }));
    // Loading must not fail (oclif requires its UX modules at top level); using them would.
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

await build({
  entryPoints: ['dist/main.js'],
  outfile: 'dist/etcdctl.bundle.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  keepNames: false,
  legalComments: 'none',
  plugins: [stubUnused],
  logLevel: 'warning',
});
