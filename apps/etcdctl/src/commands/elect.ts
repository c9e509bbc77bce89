import * as Flags from '@oclif/core/flags';
import type { CommandSpec } from '../command';
import { Election, observe, Session } from '../concurrency';
import { rpcErrorText } from '../conn';
import { CtlError, ExitBadArgs, ExitError } from '../exit-codes';
import { normalize } from '../go-json';
import { RangeResponse } from '../schemas';

export const elect: CommandSpec = {
  flags: { listen: Flags.boolean({ char: 'l', allowNo: true }) },
  async run(ctx, args, f) {
    if (args.length !== 1 && args.length !== 2)
      throw new CtlError(ExitBadArgs, 'elect takes one election name argument and an optional proposal argument');
    if (args.length === 1 && !f.listen) throw new CtlError(ExitBadArgs, 'no proposal argument but -l not set');
    if (args.length === 2 && f.listen) throw new CtlError(ExitBadArgs, 'proposal given but -l is set');
    const printer = ctx.printer();
    const conn = ctx.conn();
    try {
      if (args.length === 1) {
        const ac = new AbortController();
        const onSignal = () => ac.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        for await (const r of observe(conn, args[0], ac.signal)) printer.get(r);
        if (!ac.signal.aborted) throw new CtlError(ExitError, 'elect: observer lost');
        return;
      }
      const session = await Session.create(conn);
      const e = new Election(session, args[0]);
      let stop: () => void = () => {};
      const stopped = new Promise<string>((r) => {
        stop = () => r('signal');
      });
      let campaigning = true;
      const onSignal = async () => {
        if (campaigning) {
          await session.close();
          process.exit(0);
        }
        stop();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      await e.campaign(args[1]);
      campaigning = false;
      const resp = normalize(RangeResponse, await conn.unary('KV', 'Range', { key: e.leaderKey }, 2 ** 31 - 1));
      printer.get(resp);
      const why = await Promise.race([stopped, session.done.then(() => 'lost')]);
      if (why === 'lost') throw new CtlError(ExitError, 'elect: session expired');
      await e.resign();
      await session.close();
    } catch (err) {
      if (err instanceof CtlError) throw err;
      throw new CtlError(ExitError, rpcErrorText(err));
    }
  },
};
