import type { CommandSpec } from '../command';
import { rpcErrorText } from '../conn';
import { CtlError, ExitBadArgs, ExitError } from '../exit-codes';

export const enable: CommandSpec = {
  async run(ctx, args) {
    if (args.length !== 0) throw new CtlError(ExitBadArgs, 'auth enable command does not accept any arguments');
    ctx.printer();
    const conn = ctx.conn();
    // As etcdctl: a missing root role is created and granted to root, then enabling is retried.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await conn.unary('Auth', 'AuthEnable', {});
        process.stdout.write('Authentication Enabled\n');
        return;
      } catch (e) {
        const text = rpcErrorText(e);
        if (text !== 'etcdserver: root user does not have root role') throw new CtlError(ExitError, text);
        try {
          await conn.unary('Auth', 'RoleAdd', { name: 'root' });
          await conn.unary('Auth', 'UserGrantRole', { user: 'root', role: 'root' });
        } catch (e2) {
          throw new CtlError(ExitError, rpcErrorText(e2));
        }
      }
    }
  },
};

export const disable: CommandSpec = {
  async run(ctx, args) {
    if (args.length !== 0) throw new CtlError(ExitBadArgs, 'auth disable command does not accept any arguments');
    ctx.printer();
    await ctx.conn().unary('Auth', 'AuthDisable', {});
    process.stdout.write('Authentication Disabled\n');
  },
};
