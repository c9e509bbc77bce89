// Runs a bundled script with V8's code cache, so a warm start skips parsing and compiling it. Node 22
// has module.enableCompileCache() (the launcher turns it on, and plain require is cached); Node 20
// does not, so the script is compiled here through vm.Script with cachedData (what v8-compile-cache
// does). Used for the CLI bundle and, on first connection, the client bundle.
// node:module and node:vm are required when used rather than imported: the start-up snapshot
// (snapshot-entry.ts) holds this module, and node does not vouch for those two in a snapshot.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

type NodeModule = typeof import('node:module') & { enableCompileCache?: (dir?: string) => unknown };
const nodeModule = () => require('node:module') as NodeModule;
let compileCacheOn = false;
/** Each script runs once, however many modules of the CLI bundle ask for it (one grpc-js instance). */
const loaded = new Map<string, unknown>();
/** Where the bundles are: here, or where bin/etcdctl says when the CLI started from the snapshot. */
let dir = __dirname;

/** The directory of dist's bundles (the bundle stubs load the client and oclif bundles from it). */
export function bundleDir(): string {
  return dir;
}

/** Set at start from the snapshot: the snapshot was built elsewhere than it may run. */
export function setBundleDir(d: string): void {
  dir = d;
}

function mark(what: string): void {
  if (process.env.KV_ETCDCTL_TIMING)
    process.stderr.write(`timing: ${performance.now().toFixed(1)} ms (cpu ${cpuMs()}) ${what}\n`);
}

/** require() as a script in dist would: packages resolved from the bundles' directory (code started
 * from the snapshot has a require that loads node's built-in modules only). */
export function requireFromDist(id: string): unknown {
  return nodeModule().createRequire(join(dir, 'etcdctl.bundle.js'))(id);
}

/** Runs `file` (a CommonJS script) once and returns its exports. */
export function loadCached(file: string): unknown {
  if (!loaded.has(file)) loaded.set(file, run(file));
  return loaded.get(file);
}

function run(file: string): unknown {
  const Module = nodeModule();
  if (process.env.KV_ETCDCTL_NO_CACHE || typeof Module.enableCompileCache === 'function') {
    if (!compileCacheOn) Module.enableCompileCache?.(join(tmpdir(), 'kv-etcdctl-compile-cache'));
    compileCacheOn = true;
    // a require of this file's own (the snapshot's loads built-in modules only)
    return Module.createRequire(file)(file);
  }
  const name = file.slice(file.lastIndexOf('/') + 1);
  const source = readFileSync(file, 'utf8');
  const st = statSync(file);
  const cacheDir = join(tmpdir(), 'kv-etcdctl-code-cache');
  // The cache is keyed by the script's name, size and mtime and node's version: a rebuilt bundle or
  // another node never sees stale code.
  const cacheFile = join(cacheDir, `${process.version}-${name}-${st.size}-${Math.floor(st.mtimeMs)}.bin`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  mark(`${name} and cache read`);
  const { Script } = require('node:vm') as typeof import('node:vm');
  const script = new Script(Module.wrap(source), { filename: file, cachedData });
  mark(`${name} compiled (cache ${cachedData && !script.cachedDataRejected ? 'used' : 'not used'})`);
  if (cachedData === undefined || script.cachedDataRejected) {
    // Written at exit so that the functions compiled while running are in the cache too.
    process.once('exit', () => {
      try {
        mkdirSync(cacheDir, { recursive: true });
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        // a read-only temp dir only costs speed
      }
    });
  }
  const fn = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: unknown,
    filename: string,
    dirname: string,
  ) => void;
  const mod = { exports: {}, filename: file, id: file, loaded: false };
  fn.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dirname(file));
  return mod.exports;
}

function cpuMs(): string {
  const u = process.cpuUsage();
  return ((u.user + u.system) / 1000).toFixed(0);
}
