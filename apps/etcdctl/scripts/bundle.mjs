#!/usr/bin/env node
// Bundles the CLI (commands, flag parser, printers) and the client into two files so that
// start-up reads one script instead of resolving hundreds of modules. Modules stay lazily evaluated:
// esbuild wraps each CommonJS module in an init function that runs on first require.
import { build } from 'esbuild';

// Modules that the code paths etcdctl runs never call: grpc-js loads proto-loader (and with it all of
// protobufjs) only for channelz.
const unused = ['@grpc/proto-loader'];

const stubUnused = {
  name: 'stub-unused',
  setup(b) {
    const filter = new RegExp(`^(${unused.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'stub' }));
    // Loading must not fail (grpc-js requires it at top level); using it would.
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

// Two parts are bundles of their own, each loaded by the CLI bundle through dist/code-cache.js (run
// with the code cache) only when a command needs it, so get/put/del neither read nor compile them:
// - the connection code (@kv/client, and with it @kv/api-proto's generated messages and grpc-js): get/put/del
//   talk to etcd without it (lean-conn.ts); both packages come from that one bundle so that grpc-js is one
//   module instance;
// - oclif (@oclif/core): every command but get/put/del's fast path runs through it (oclif-run.ts).
function separateBundle(name, filter, file) {
  return {
    name,
    setup(b) {
      b.onResolve({ filter }, (args) => ({ path: args.path, namespace: name }));
      b.onLoad({ filter: /.*/, namespace: name }, (args) => ({
        contents: `module.exports = require('./code-cache.js').loadCached(__dirname + '/${file}')[${JSON.stringify(args.path)}];`,
        loader: 'js',
      }));
      b.onResolve({ filter: /^\.\/code-cache\.js$/ }, (args) => ({ path: args.path, external: true }));
    },
  };
}
const clientBundle = separateBundle('client-bundle', /^(@kv\/client|@grpc\/grpc-js)$/, 'client.bundle.js');
const oclifParts = ['args', 'command', 'config', 'flags', 'help', 'settings'];
const oclifBundle = separateBundle('oclif-bundle', /^@oclif\/core\/[a-z]+$/, 'oclif.bundle.js');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  keepNames: false,
  legalComments: 'none',
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: ['dist/main.js'],
  outfile: 'dist/etcdctl.bundle.js',
  plugins: [stubUnused, clientBundle, oclifBundle],
  // `snapshot restore` writes a member data dir with the server's own modules (RocksDB is native code);
  // it is required only by that command, from node_modules.
  external: ['@kv/server', '@kv/server/*'],
});

await build({
  ...common,
  stdin: {
    contents:
      "module.exports = { '@kv/client': require('@kv/client'), '@grpc/grpc-js': require('@grpc/grpc-js') };",
    resolveDir: '.',
    loader: 'js',
  },
  outfile: 'dist/client.bundle.js',
  plugins: [stubUnused],
});

await build({
  ...common,
  // oclif's entry points by subpath, each evaluated on first use (its index would load all of them)
  stdin: {
    contents: `module.exports = {${oclifParts.map((p) => `get '@oclif/core/${p}'() { return require('@oclif/core/${p}'); }`).join(', ')}};`,
    resolveDir: '.',
    loader: 'js',
  },
  outfile: 'dist/oclif.bundle.js',
});
