// Runs a bundled script with V8's code cache, so a warm start skips parsing and compiling it. Node 22
// has module.enableCompileCache() (the launcher turns it on, and plain require is cached); Node 20
// does not, so the script is compiled here through vm.Script with cachedData (what v8-compile-cache
// does). Used for the CLI bundle and, on first connection, the client bundle.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

const enableCompileCache = (Module as unknown as { enableCompileCache?: (dir?: string) => unknown })
  .enableCompileCache;
let compileCacheOn = false;
/** Each script runs once, however many modules of the CLI bundle ask for it (one grpc-js instance). */
const loaded = new Map<string, unknown>();

function mark(what: string): void {
  if (process.env.KV_ETCDCTL_TIMING)
    process.stderr.write(`timing: ${performance.now().toFixed(1)} ms (cpu ${cpuMs()}) ${what}\n`);
}

/** Runs `file` (a CommonJS script) once and returns its exports. */
export function loadCached(file: string): unknown {
  if (!loaded.has(file)) loaded.set(file, run(file));
  return loaded.get(file);
}

function run(file: string): unknown {
  if (process.env.KV_ETCDCTL_NO_CACHE || typeof enableCompileCache === 'function') {
    if (!compileCacheOn) enableCompileCache?.(join(tmpdir(), 'kv-etcdctl-compile-cache'));
    compileCacheOn = true;
    return require(file);
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
  fn.call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
  return mod.exports;
}

function cpuMs(): string {
  const u = process.cpuUsage();
  return ((u.user + u.system) / 1000).toFixed(0);
}
