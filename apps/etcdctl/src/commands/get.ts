import type { CommandSpec } from '../command';
import { CtlError, ExitBadArgs, ExitBadFeature } from '../exit-codes';
import { normalize } from '../go-json';
import { keyRange, sortFields, sortOrders, sortTargets } from '../kv-ops';
import { RangeResponse } from '../schemas';

export const get: CommandSpec = {
  async run(ctx, args, f) {
    if (args.length === 0)
      throw new CtlError(
        ExitBadArgs,
        'get command needs one argument as key and an optional argument as range_end',
      );
    if (f.prefix && f['from-key'])
      throw new CtlError(
        ExitBadArgs,
        '`--prefix` and `--from-key` cannot be set at the same time, choose one',
      );
    if (f.consistency !== 's' && f.consistency !== 'l')
      throw new CtlError(ExitBadFeature, `unknown consistency flag ${JSON.stringify(f.consistency)}`);
    if (args.length > 1 && (f.prefix || f['from-key']))
      throw new CtlError(
        ExitBadArgs,
        'too many arguments, only accept one argument when `--prefix` or `--from-key` is set',
      );
    const order = sortOrders[String(f.order).toUpperCase()];
    if (order === undefined) throw new CtlError(ExitBadFeature, `bad sort order ${f.order}`);
    const target = sortTargets[String(f['sort-by']).toUpperCase()];
    if (target === undefined) throw new CtlError(ExitBadFeature, `bad sort target ${f['sort-by']}`);
    const range = keyRange(args[0], { prefix: f.prefix, fromKey: f['from-key'], rangeEnd: args[1] });
    const printer = ctx.printer();
    const raw = await ctx.kv().unary('KV', 'Range', {
      ...range,
      limit: f.limit,
      revision: f.rev > 0 ? f.rev : 0,
      ...sortFields(target, order),
      serializable: f.consistency === 's',
      keysOnly: f['keys-only'],
      countOnly: f['count-only'],
    });
    const resp = normalize(RangeResponse, raw);
    // etcdctl 3.5 (which has --count-only) checks this after the call
    if (f['count-only'] && ctx.globals.writeOut !== 'fields')
      throw new CtlError(ExitBadArgs, '--count-only is only for `--write-out=fields`');
    if (f['print-value-only']) {
      if (ctx.globals.writeOut !== 'simple')
        throw new CtlError(ExitBadArgs, 'print-value-only is only for `--write-out=simple`');
      ctx.printer(true);
      const { SimplePrinter } = require('../printer-simple') as typeof import('../printer-simple');
      new SimplePrinter(ctx.globals.hex, true).get(resp);
      return;
    }
    printer.get(resp);
  },
};
