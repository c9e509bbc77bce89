import type { CommandSpec } from '../command';
import { rpcErrorText } from '../conn';
import { observe } from '../election-observe';
import { CtlError, ExitBadArgs, ExitError } from '../exit-codes';
import { normalize } from '../go-json';
import { RangeResponse } from '../schemas';

export const elect: CommandSpec = {
  async run(ctx, args, f) {
    if (args.length !== 1 && args.length !== 2)
      throw new CtlError(
        ExitBadArgs,
        'elect takes one election name argument and an optional proposal argument',
      );
    if (args.length === 1 && !f.listen)
      throw new CtlError(ExitBadArgs, 'no proposal argument but -l not set');
    if (args.length === 2 && f.listen) throw new CtlError(ExitBadArgs, 'proposal given but -l is set');
    const printer = ctx.printer();
    const conn = ctx.conn();
    let interruptedCampaign = false;
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
      const client = require('@kv/client') as typeof import('@kv/client');
      const session = await client.Session.create(conn.client);
      // clientv3 always appends "/" to the name; @kv/client's recipes add it only when missing
      const e = new client.Election(session, `${args[0]}/`);
      const campaign = new AbortController();
      let stop: () => void = () => {};
      const stopped = new Promise<string>((r) => {
        stop = () => r('signal');
      });
      let campaigning = true;
      const onSignal = async () => {
        if (campaigning) {
          // as clientv3's Campaign on a cancelled context: resign (drop the key) and fail
          interruptedCampaign = true;
          campaign.abort();
          await e.resign().catch(() => {});
          await session.close().catch(() => {});
          process.stderr.write('Error: context canceled\n');
          process.exit(ExitError);
        }
        stop();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      await e.campaign(args[1], { signal: campaign.signal });
      campaigning = false;
      const resp = normalize(RangeResponse, await conn.unary('KV', 'Range', { key: e.key }, 2 ** 31 - 1));
      printer.get(resp);
      const why = await Promise.race([
        stopped,
        session.done.then(
          () => 'lost',
          () => 'lost',
        ),
      ]);
      if (why === 'lost') throw new CtlError(ExitError, 'elect: session expired');
      await e.resign();
      await session.close();
    } catch (err) {
      // interrupted while campaigning: the signal handler reports it and exits
      if (interruptedCampaign) await new Promise(() => {});
      if (err instanceof CtlError) throw err;
      throw new CtlError(ExitError, rpcErrorText(err));
    }
  },
};
