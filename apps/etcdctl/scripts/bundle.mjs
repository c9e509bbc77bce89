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

// Two parts are bundles of their own, each loaded by the CLI bundle through code-cache.ts (run
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
      // bundleDir(): where the bundles are at run time (the snapshot may have been built elsewhere)
      b.onLoad({ filter: /.*/, namespace: name }, (args) => ({
        contents: `const c = require('./code-cache.js'); module.exports = c.loadCached(c.bundleDir() + '/${file}')[${JSON.stringify(args.path)}];`,
        loader: 'js',
        resolveDir: 'dist',
      }));
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

const cli = {
  ...common,
  plugins: [stubUnused, clientBundle, oclifBundle],
  // `snapshot restore` writes a member data dir with the server's own modules (RocksDB is native code);
  // it is required only by that command, from node_modules (code-cache.ts's requireFromDist).
  external: ['@kv/server', '@kv/server/*'],
};
await build({ ...cli, entryPoints: ['dist/cli.js'], outfile: 'dist/etcdctl.bundle.js' });
// The same CLI as the start-up snapshot's entry (snapshot-entry.ts). node runs it as a script with a
// require of built-in modules and no `exports`.
await build({
  ...cli,
  entryPoints: ['dist/snapshot-entry.js'],
  outfile: 'dist/snapshot.bundle.js',
  banner: { js: 'var exports = {};' },
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

await buildSnapshot();

/**
 * dist/etcdctl.blob: the start-up snapshot, made by this node (a blob only loads into the node that
 * built it, so it is built here rather than committed), and dist/etcdctl.blob.node, which names that
 * node and carries its binary's modification time, which bin/etcdctl compares with the node it is
 * about to run. Without a blob (an older node, a failed build) bin/etcdctl runs dist/launch.js.
 */
async function buildSnapshot() {
  const { spawnSync } = await import('node:child_process');
  const { realpathSync, rmSync, statSync, utimesSync, writeFileSync } = await import('node:fs');
  const stamp = 'dist/etcdctl.blob.node';
  for (const f of ['dist/etcdctl.blob', stamp]) rmSync(f, { force: true });
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = spawnSync(
    process.execPath,
    ['--snapshot-blob', 'dist/etcdctl.blob', '--build-snapshot', 'dist/snapshot.bundle.js'],
    { env, encoding: 'utf8' },
  );
  if (r.status !== 0) {
    rmSync('dist/etcdctl.blob', { force: true });
    console.warn(`bundle: no start-up snapshot (bin/etcdctl will run dist/launch.js): ${r.stderr || r.error}`);
    return;
  }
  const node = realpathSync(process.execPath);
  writeFileSync(stamp, `${process.version} ${node}\n`);
  // touch copies the time to the nanosecond; utimes (a double of seconds) may round it
  if (spawnSync('touch', ['-r', node, stamp]).status !== 0) {
    const st = statSync(node);
    utimesSync(stamp, st.atime, st.mtime);
  }
}
