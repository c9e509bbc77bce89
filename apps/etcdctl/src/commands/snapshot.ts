import { closeSync, existsSync, fsyncSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { readBolt } from '@kv/bbolt';
import { crc32c } from '@kv/mvcc/crc32c';
import { requireFromDist } from '../code-cache';
import type { CommandSpec } from '../command';
import { rpcErrorText } from '../conn';
import { CtlError, ExitBadArgs, ExitError, ExitInterrupted } from '../exit-codes';
import { humanizeBytes } from '../go-format';

export const save: CommandSpec = {
  async run(ctx, args) {
    if (args.length !== 1) throw new CtlError(ExitBadArgs, 'snapshot save expects one argument');
    ctx.printer();
    if (ctx.globals.endpoints.length !== 1)
      throw new CtlError(
        ExitInterrupted,
        `snapshot must be requested to one selected node, not multiple [${ctx.globals.endpoints.join(' ')}]`,
      );
    const path = args[0];
    const part = `${path}.part`;
    const fd = openSync(part, 'w', 0o600);
    log('created temporary db file', { path: part });
    const st = performance.now();
    let size = 0;
    try {
      const stream = await ctx.conn().serverStream('Maintenance', 'Snapshot', {});
      log('fetching snapshot', { endpoint: ctx.globals.endpoints[0] });
      await new Promise<void>((resolve, reject) => {
        stream.on('data', (r: { blob?: Buffer }) => {
          if (r.blob && r.blob.length) {
            writeSync(fd, r.blob);
            size += r.blob.length;
          }
        });
        stream.on('error', reject);
        stream.on('end', resolve);
      });
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      throw new CtlError(ExitInterrupted, rpcErrorText(e));
    }
    closeSync(fd);
    log('fetched snapshot', {
      endpoint: ctx.globals.endpoints[0],
      size: humanizeBytes(size),
      took: (performance.now() - st) / 1000,
    });
    renameSync(part, path);
    log('saved', { path });
    process.stdout.write(`Snapshot saved at ${path}\n`);
  },
};

export const status: CommandSpec = {
  run(ctx, args) {
    if (args.length !== 1) throw new CtlError(ExitBadArgs, 'snapshot status requires exactly one argument');
    const printer = ctx.printer();
    const path = args[0];
    if (!existsSync(path)) throw new CtlError(ExitError, `stat ${path}: no such file or directory`);
    statSync(path);
    let db: ReturnType<typeof readBolt>;
    try {
      db = readBolt(path);
    } catch (e) {
      throw new CtlError(ExitError, (e as Error).message);
    }
    const chunks: Buffer[] = [];
    let revision = 0;
    let totalKey = 0;
    for (const b of db.buckets) {
      chunks.push(b.name);
      const isKey = b.name.toString('latin1') === 'key';
      for (const [k, v] of b.entries) {
        chunks.push(k, v);
        if (isKey && k.length >= 8) revision = Number(k.readBigUInt64BE(0));
        totalKey++;
      }
    }
    const hash = chunks.reduce((crc, b) => crc32c(b, crc), 0);
    printer.dbStatus({ hash, revision, totalKey, totalSize: db.size });
  },
};

export const restore: CommandSpec = {
  async run(_ctx, args, f) {
    if (args.length !== 1) throw new CtlError(ExitBadArgs, 'snapshot restore requires exactly one argument');
    // the server's restore (RocksDB, WAL, raft snapshot) loads only for this command
    const { restoreSnapshot, RestoreError } = requireFromDist(
      '@kv/server/restore',
    ) as typeof import('@kv/server/restore');
    const name = f.name as string;
    try {
      await restoreSnapshot({
        snapshotPath: args[0]!,
        name,
        initialCluster: f['initial-cluster'] as string,
        initialClusterToken: f['initial-cluster-token'] as string,
        initialAdvertisePeerUrls: (f['initial-advertise-peer-urls'] as string).split(','),
        dataDir: (f['data-dir'] as string) || `${name}.etcd`,
        walDir: f['wal-dir'] as string,
        skipHashCheck: f['skip-hash-check'] === true,
        log,
      });
    } catch (e) {
      if (e instanceof RestoreError) throw new CtlError(ExitError, e.message);
      throw new CtlError(ExitError, (e as Error).message);
    }
  },
};

/** A zap-style JSON line on stderr, where etcdctl 3.4 logs its snapshot steps. */
function log(msg: string, extra: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ level: 'info', ts: Date.now() / 1000, msg, ...extra })}\n`);
}
