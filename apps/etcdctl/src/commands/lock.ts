import { spawnSync } from 'node:child_process';
import type { Mutex, Session } from '@kv/client';
import type { CommandSpec } from '../command';
import { rpcErrorText } from '../conn';
import { CtlError, ExitBadArgs, ExitError } from '../exit-codes';
import { normalize } from '../go-json';
import { RangeResponse } from '../schemas';

export const lock: CommandSpec = {
  runsDashArgs: true,
  async run(ctx, args, f) {
    if (args.length === 0)
      throw new CtlError(ExitBadArgs, 'lock takes a lock name argument and an optional command to execute');
    const printer = ctx.printer();
    const conn = ctx.conn();
    const client = require('@kv/client') as typeof import('@kv/client');
    const cmdArgs = [...args.slice(1), ...(ctx.dashArgs ?? [])];
    let session: Session | undefined;
    let mutex: Mutex | undefined;
    let held = false;
    const waiting = new AbortController();
    // Ctrl-C / SIGTERM: release the lock (and the session's lease) and exit cleanly.
    let interrupted: () => void = () => {};
    const stop = new Promise<void>((r) => {
      interrupted = r;
    });
    const onSignal = async () => {
      if (!held) {
        // still waiting: clientv3's Lock returns the cancelled context's error, after removing its key
        waiting.abort();
        await mutex?.unlock().catch(() => {});
        await session?.close().catch(() => {});
        process.stderr.write('Error: context canceled\n');
        process.exit(ExitError);
      }
      await mutex?.unlock().catch(() => {});
      await session?.close().catch(() => {});
      interrupted();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      session = await client.Session.create(conn.client, { ttl: f.ttl });
      // clientv3 always appends "/" to the name; @kv/client's recipes add it only when missing
      mutex = new client.Mutex(session, `${args[0]}/`);
      await mutex.lock({ signal: waiting.signal });
      held = true;
      if (cmdArgs.length > 0) {
        const env = {
          ETCD_LOCK_KEY: mutex.key.toString('utf8'),
          ETCD_LOCK_REV: String(mutex.header?.revision ?? 0),
          ...process.env,
        };
        const res = spawnSync(cmdArgs[0], cmdArgs.slice(1), { env, stdio: 'inherit' });
        await mutex.unlock();
        held = false;
        await session.close();
        if (res.error) throw new CtlError(ExitError, (res.error as Error).message);
        if (res.status !== 0) throw new CtlError(ExitError, `exit status ${res.status}`);
        return;
      }
      const k = normalize(RangeResponse, await conn.unary('KV', 'Range', { key: mutex.key }, 2 ** 31 - 1));
      if (k.kvs.length === 0) throw new CtlError(ExitError, 'lock lost on init');
      printer.get(k);
      const lost = session.done.then(
        () => 'lost',
        () => 'lost',
      );
      const why = await Promise.race([stop.then(() => 'signal'), lost]);
      if (why === 'lost') throw new CtlError(ExitError, 'session expired');
    } catch (e) {
      // interrupted while waiting: the signal handler reports it and exits
      if (waiting.signal.aborted) await new Promise(() => {});
      if (e instanceof CtlError) throw e;
      throw new CtlError(ExitError, rpcErrorText(e));
    }
  },
};
