// Start-up shim: runs the bundled CLI with V8's code cache (code-cache.ts). The connection code
// (@kv/client, grpc-js, api-proto) is a second bundle that loads only when a command needs it.
import { join } from 'node:path';
import { loadCached } from './code-cache';

// A command line tool's stderr is part of its interface: node's own warnings (deprecations, the
// insecure-TLS notice of --insecure-skip-tls-verify) are not etcdctl's to print.
process.removeAllListeners('warning');
// bin/etcdctl kept NODE_EXTRA_CA_CERTS from node's start-up (see there); commands that run other
// programs (watch, lock, elect) hand them the environment as it was.
const extraCa = process.env.KV_ETCDCTL_EXTRA_CA_CERTS;
if (extraCa !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = extraCa;
  delete process.env.KV_ETCDCTL_EXTRA_CA_CERTS;
  (process as { kvEtcdctlExtraCa?: string }).kvEtcdctlExtraCa = extraCa;
}
process.noDeprecation = true;
if (process.env.KV_ETCDCTL_TIMING) {
  process.once('exit', () => {
    const u = process.cpuUsage();
    process.stderr.write(
      `timing: ${performance.now().toFixed(1)} ms since process start, cpu ${((u.user + u.system) / 1000).toFixed(1)} ms\n`,
    );
  });
}
if (process.env.KV_ETCDCTL_TIMING)
  process.stderr.write(`timing: ${performance.now().toFixed(1)} ms launcher start\n`);
loadCached(join(__dirname, 'etcdctl.bundle.js'));
