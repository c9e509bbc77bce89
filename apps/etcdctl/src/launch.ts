// Start-up shim: runs the single bundled script with V8's code cache, so a warm start skips parsing
// and compiling the bundle. Node 22 has module.enableCompileCache(); Node 20 does not, so on Node 20
// we compile the bundle ourselves through vm.Script with cachedData (what v8-compile-cache does).
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

const bundle = join(__dirname, 'etcdctl.bundle.js');
if (process.env.KV_ETCDCTL_TIMING) {
  process.once('exit', () => { const u = process.cpuUsage(); process.stderr.write(`timing: ${performance.now().toFixed(1)} ms since process start, cpu ${((u.user + u.system) / 1000).toFixed(1)} ms\n`); });
}
const enableCompileCache = (Module as unknown as { enableCompileCache?: (dir?: string) => unknown })
  .enableCompileCache;

if (process.env.KV_ETCDCTL_NO_CACHE || typeof enableCompileCache === 'function') {
  enableCompileCache?.(join(tmpdir(), 'kv-etcdctl-compile-cache'));
  require(bundle);
} else {
  runWithCodeCache();
}

function runWithCodeCache(): void {
  const source = readFileSync(bundle, 'utf8');
  const st = statSync(bundle);
  const cacheDir = join(tmpdir(), 'kv-etcdctl-code-cache');
  // The cache is keyed by the bundle's size and mtime and node's version: a rebuilt bundle or another
  // node never sees stale code.
  const cacheFile = join(cacheDir, `${process.version}-${st.size}-${Math.floor(st.mtimeMs)}.bin`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(Module.wrap(source), { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    // Written at exit so that the functions compiled while running are in the cache too.
    process.once('exit', () => {
      try {
        mkdirSync(cacheDir, { recursive: true });
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        require('node:fs').renameSync(tmp, cacheFile);
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
  const mod = { exports: {}, filename: bundle, id: bundle, loaded: false };
  fn.call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));
}
