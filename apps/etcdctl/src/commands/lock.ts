import { spawnSync } from 'node:child_process';
import * as Flags from '@oclif/core/flags';
import type { CommandSpec } from '../command';
import { Mutex, Session } from '../concurrency';
import { rpcErrorText } from '../conn';
import { CtlError, ExitBadArgs, ExitError } from '../exit-codes';
import { normalize } from '../go-json';
import { RangeResponse } from '../schemas';

export const lock: CommandSpec = {
  flags: { ttl: Flags.integer({ default: 60 }) },
  async run(ctx, args, f) {
    if (args.length === 0)
      throw new CtlError(ExitBadArgs, 'lock takes a lock name argument and an optional command to execute');
    const printer = ctx.printer();
    const conn = ctx.conn();
    const cmdArgs = [...args.slice(1), ...(ctx.dashArgs ?? [])];
    let session: Session | undefined;
    let mutex: Mutex | undefined;
    let held = false;
    // Ctrl-C / SIGTERM: release the lock (and the session's lease) and exit cleanly.
    let interrupted: () => void = () => {};
    const stop = new Promise<void>((r) => {
      interrupted = r;
    });
    const onSignal = async () => {
      if (held && mutex) await mutex.unlock().catch(() => {});
      await session?.close();
      if (!held) process.exit(0);
      interrupted();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      session = await Session.create(conn, f.ttl);
      mutex = new Mutex(session, args[0]);
      await mutex.lock();
      held = true;
      if (cmdArgs.length > 0) {
        const env = {
          ETCD_LOCK_KEY: mutex.myKey.toString('utf8'),
          ETCD_LOCK_REV: String(mutex.header.revision),
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
      const k = normalize(RangeResponse, await conn.unary('KV', 'Range', { key: mutex.myKey }, 2 ** 31 - 1));
      if (k.kvs.length === 0) throw new CtlError(ExitError, 'lock lost on init');
      printer.get(k);
      const lost = session.done.then(() => 'lost');
      const why = await Promise.race([stop.then(() => 'signal'), lost]);
      if (why === 'lost') throw new CtlError(ExitError, 'session expired');
    } catch (e) {
      if (e instanceof CtlError) throw e;
      throw new CtlError(ExitError, rpcErrorText(e));
    }
  },
};
