import type { CommandSpec } from '../command';
import { CtlError, ExitBadArgs } from '../exit-codes';
import { normalize } from '../go-json';
import { keyRange } from '../kv-ops';
import { DeleteRangeResponse } from '../schemas';

export const del: CommandSpec = {
  async run(ctx, args, f) {
    if (args.length === 0 || args.length > 2)
      throw new CtlError(
        ExitBadArgs,
        'del command needs one argument as key and an optional argument as range_end',
      );
    if (f.prefix && f['from-key'])
      throw new CtlError(
        ExitBadArgs,
        '`--prefix` and `--from-key` cannot be set at the same time, choose one',
      );
    if (args.length > 1 && (f.prefix || f['from-key']))
      throw new CtlError(
        ExitBadArgs,
        'too many arguments, only accept one argument when `--prefix` or `--from-key` is set',
      );
    const range = keyRange(args[0], { prefix: f.prefix, fromKey: f['from-key'], rangeEnd: args[1] });
    const printer = ctx.printer();
    const raw = await ctx.kv().unary('KV', 'DeleteRange', { ...range, prevKv: f['prev-kv'] });
    printer.del(normalize(DeleteRangeResponse, raw));
  },
};
