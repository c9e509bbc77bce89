import type { CommandSpec } from '../command';
import { CtlError, ExitBadArgs } from '../exit-codes';
import { parseDecInt64 } from '../kv-ops';

export const compaction: CommandSpec = {
  async run(ctx, args, f) {
    if (args.length !== 1) throw new CtlError(ExitBadArgs, 'compaction command needs 1 argument');
    let rev: bigint;
    try {
      rev = parseDecInt64(args[0]);
    } catch (e) {
      throw new CtlError(1, (e as Error).message);
    }
    ctx.printer();
    await ctx.conn().unary('KV', 'Compact', { revision: rev.toString(), physical: !!f.physical });
    process.stdout.write(`compacted revision ${rev}\n`);
  },
};
