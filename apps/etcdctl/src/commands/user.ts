import type { CommandSpec } from '../command';
import { CtlError, ExitBadArgs } from '../exit-codes';
import { normalize } from '../go-json';
import * as S from '../schemas';
import { readStdin } from '../stdin';

/** fmt.Scanf("%s"): the first whitespace-separated word of stdin. */
async function scanWord(): Promise<string> {
  return (await readStdin()).toString('utf8').trim().split(/\s+/)[0] ?? '';
}

/** speakeasy.Ask twice; without a terminal the two answers are the first two lines of stdin. */
async function readPasswordInteractive(name: string): Promise<string> {
  const lines = (await readStdin()).toString('utf8').split('\n');
  process.stdout.write(`Password of ${name}: `);
  const p1 = lines[0] ?? '';
  if (p1.length === 0) throw new CtlError(ExitBadArgs, 'empty password');
  process.stdout.write(`Type password of ${name} again for confirmation: `);
  if ((lines[1] ?? '') !== p1) throw new CtlError(ExitBadArgs, 'given passwords are different');
  return p1;
}

export const add: CommandSpec = {
  async run(ctx, args, f) {
    if (args.length !== 1)
      throw new CtlError(ExitBadArgs, 'user add command requires user name as its argument');
    let user = args[0];
    let password = '';
    if (!f['no-password']) {
      if (f['new-user-password'] !== '') password = f['new-user-password'];
      else {
        const i = args[0].indexOf(':');
        if (i < 0) password = f.interactive ? await readPasswordInteractive(user) : await scanWord();
        else {
          user = args[0].slice(0, i);
          password = args[0].slice(i + 1);
          if (user.length === 0) throw new CtlError(ExitBadArgs, 'empty user name is not allowed');
        }
      }
    }
    const printer = ctx.printer();
    const r = await ctx
      .conn()
      .unary('Auth', 'UserAdd', { name: user, password, options: { noPassword: !!f['no-password'] } });
    printer.userAdd(user, normalize(S.HeaderOnly, r));
  },
};

export const del: CommandSpec = {
  async run(ctx, args) {
    if (args.length !== 1)
      throw new CtlError(ExitBadArgs, 'user delete command requires user name as its argument');
    const printer = ctx.printer();
    const r = await ctx.conn().unary('Auth', 'UserDelete', { name: args[0] });
    printer.userDelete(args[0], normalize(S.HeaderOnly, r));
  },
};

export const get: CommandSpec = {
  async run(ctx, args, f) {
    if (args.length !== 1)
      throw new CtlError(ExitBadArgs, 'user get command requires user name as its argument');
    const printer = ctx.printer();
    const conn = ctx.conn();
    const r = normalize(S.AuthUserGetResponse, await conn.unary('Auth', 'UserGet', { name: args[0] }));
    if (f.detail) {
      process.stdout.write(`User: ${args[0]}\n`);
      for (const role of r.roles) {
        process.stdout.write('\n');
        printer.roleGet(
          role,
          normalize(S.AuthRoleGetResponse, await conn.unary('Auth', 'RoleGet', { role })),
        );
      }
      return;
    }
    printer.userGet(args[0], r);
  },
};

export const list: CommandSpec = {
  async run(ctx, args) {
    if (args.length !== 0) throw new CtlError(ExitBadArgs, 'user list command requires no arguments');
    const printer = ctx.printer();
    printer.userList(normalize(S.AuthUserListResponse, await ctx.conn().unary('Auth', 'UserList', {})));
  },
};

export const passwd: CommandSpec = {
  async run(ctx, args, f) {
    if (args.length !== 1)
      throw new CtlError(ExitBadArgs, 'user passwd command requires user name as its argument');
    const password = f.interactive ? await readPasswordInteractive(args[0]) : await scanWord();
    const printer = ctx.printer();
    const r = await ctx.conn().unary('Auth', 'UserChangePassword', { name: args[0], password });
    printer.userChangePassword(normalize(S.HeaderOnly, r));
  },
};

export const grantRole: CommandSpec = {
  async run(ctx, args) {
    if (args.length !== 2)
      throw new CtlError(ExitBadArgs, 'user grant command requires user name and role name as its argument');
    const printer = ctx.printer();
    const r = await ctx.conn().unary('Auth', 'UserGrantRole', { user: args[0], role: args[1] });
    printer.userGrantRole(args[0], args[1], normalize(S.HeaderOnly, r));
  },
};

export const revokeRole: CommandSpec = {
  async run(ctx, args) {
    if (args.length !== 2)
      throw new CtlError(ExitBadArgs, 'user revoke-role requires user name and role name as its argument');
    const printer = ctx.printer();
    const r = await ctx.conn().unary('Auth', 'UserRevokeRole', { name: args[0], role: args[1] });
    printer.userRevokeRole(args[0], args[1], normalize(S.HeaderOnly, r));
  },
};
