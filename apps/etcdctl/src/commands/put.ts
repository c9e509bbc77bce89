import type { CommandSpec } from '../command';
import { CtlError, ExitBadArgs } from '../exit-codes';
import { normalize } from '../go-json';
import { bytes, parseHexInt64 } from '../kv-ops';
import { PutResponse } from '../schemas';
import { readStdin } from '../stdin';

export const put: CommandSpec = {
  async run(ctx, args, f) {
    const usage = 'put command needs 1 argument and input from stdin or 2 arguments';
    if (args.length === 0) throw new CtlError(ExitBadArgs, usage);
    if (f['ignore-value'] && args.length > 1)
      throw new CtlError(ExitBadArgs, "put command needs only 1 argument when 'ignore-value' is set");
    let value: Buffer = Buffer.alloc(0);
    if (!f['ignore-value']) {
      if (args.length > 1) value = bytes(args[1]);
      else {
        value = await readStdin();
        if (value.length === 0) throw new CtlError(ExitBadArgs, usage);
      }
    }
    let lease: bigint;
    try {
      lease = parseHexInt64(f.lease);
    } catch (e) {
      throw new CtlError(ExitBadArgs, `bad lease ID (${(e as Error).message}), expecting ID in Hex`);
    }
    const printer = ctx.printer();
    const raw = await ctx.kv().unary('KV', 'Put', {
      key: bytes(args[0]),
      value,
      lease: lease.toString(),
      prevKv: f['prev-kv'],
      ignoreValue: f['ignore-value'],
      ignoreLease: f['ignore-lease'],
    });
    printer.put(normalize(PutResponse, raw));
  },
};
