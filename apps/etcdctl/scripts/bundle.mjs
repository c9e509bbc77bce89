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

// The connection code (@kv/client, and with it @kv/api-proto's generated messages and grpc-js) is a
// bundle of its own: get/put/del talk to etcd without it (lean-conn.ts), so they neither read nor
// compile it. The CLI bundle reaches it through dist/code-cache.js, which runs it with the code cache;
// both packages come from that one bundle so that grpc-js is one module instance.
const clientBundle = {
  name: 'client-bundle',
  setup(b) {
    b.onResolve({ filter: /^(@kv\/client|@grpc\/grpc-js)$/ }, (args) => ({
      path: args.path,
      namespace: 'client-bundle',
    }));
    b.onLoad({ filter: /.*/, namespace: 'client-bundle' }, (args) => ({
      contents: `module.exports = require('./code-cache.js').loadCached(__dirname + '/client.bundle.js')[${JSON.stringify(args.path)}];`,
      loader: 'js',
    }));
    b.onResolve({ filter: /^\.\/code-cache\.js$/ }, (args) => ({ path: args.path, external: true }));
  },
};

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
  plugins: [stubUnused, clientBundle],
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
