// What the process needs before any command runs, whichever way it started: from dist/launch.js (a
// script run with the code cache) or from the start-up snapshot (snapshot-entry.ts), where this runs
// at deserialisation, not while the snapshot was built.

/** Puts the process in etcdctl's state; `launcher` names the start-up path for KV_ETCDCTL_TIMING. */
export function setUpProcess(launcher: string): void {
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
    process.stderr.write(`timing: ${performance.now().toFixed(1)} ms ${launcher} start\n`);
  }
}
