import type { CommandSpec } from '../command';
import { CtlError, ExitBadArgs } from '../exit-codes';
import { normalize } from '../go-json';
import { prefixRangeEnd } from '../printer-simple';
import * as S from '../schemas';

const permTypes: Record<string, number> = { READ: 0, WRITE: 1, READWRITE: 2 };

function permRange(args: string[], prefix: boolean, fromKey: boolean): [string, string] {
  let key = args[0];
  let end = '';
  if (key.length === 0) {
    if (prefix && fromKey)
      throw new CtlError(ExitBadArgs, '--from-key and --prefix flags are mutually exclusive');
    key = '\x00';
    if (prefix || fromKey) end = '\x00';
    return [key, end];
  }
  if (args.length === 1) {
    if (prefix) {
      if (fromKey) throw new CtlError(ExitBadArgs, '--from-key and --prefix flags are mutually exclusive');
      return [key, prefixRangeEnd(Buffer.from(key, 'utf8')).toString('latin1')];
    }
    return [key, fromKey ? '\x00' : ''];
  }
  if (prefix) throw new CtlError(ExitBadArgs, 'unexpected endkey argument with --prefix flag');
  if (fromKey) throw new CtlError(ExitBadArgs, 'unexpected endkey argument with --from-key flag');
  return [key, args[1]];
}

const buf = (s: string) => (s === '\x00' ? Buffer.from([0]) : Buffer.from(s, 'latin1'));

export const add: CommandSpec = {
  async run(ctx, args) {
    if (args.length !== 1)
      throw new CtlError(ExitBadArgs, 'role add command requires role name as its argument');
    const printer = ctx.printer();
    printer.roleAdd(
      args[0],
      normalize(S.HeaderOnly, await ctx.conn().unary('Auth', 'RoleAdd', { name: args[0] })),
    );
  },
};

export const del: CommandSpec = {
  async run(ctx, args) {
    if (args.length !== 1)
      throw new CtlError(ExitBadArgs, 'role delete command requires role name as its argument');
    const printer = ctx.printer();
    printer.roleDelete(
      args[0],
      normalize(S.HeaderOnly, await ctx.conn().unary('Auth', 'RoleDelete', { role: args[0] })),
    );
  },
};

export const get: CommandSpec = {
  async run(ctx, args) {
    if (args.length !== 1)
      throw new CtlError(ExitBadArgs, 'role get command requires role name as its argument');
    const printer = ctx.printer();
    printer.roleGet(
      args[0],
      normalize(S.AuthRoleGetResponse, await ctx.conn().unary('Auth', 'RoleGet', { role: args[0] })),
    );
  },
};

export const list: CommandSpec = {
  async run(ctx, args) {
    if (args.length !== 0) throw new CtlError(ExitBadArgs, 'role list command requires no arguments');
    const printer = ctx.printer();
    printer.roleList(normalize(S.AuthRoleListResponse, await ctx.conn().unary('Auth', 'RoleList', {})));
  },
};

export const grantPermission: CommandSpec = {
  async run(ctx, args, f) {
    if (args.length < 3)
      throw new CtlError(
        ExitBadArgs,
        'role grant command requires role name, permission type, and key [endkey] as its argument',
      );
    const perm = permTypes[args[1].toUpperCase()];
    if (perm === undefined) throw new CtlError(ExitBadArgs, `invalid permission type: ${args[1]}`);
    const [key, end] = permRange(args.slice(2), !!f.prefix, !!f['from-key']);
    const printer = ctx.printer();
    const perm0: Record<string, unknown> = { permType: perm, key: buf(key) };
    if (end) perm0.rangeEnd = buf(end);
    const r = await ctx.conn().unary('Auth', 'RoleGrantPermission', { name: args[0], perm: perm0 });
    printer.roleGrantPermission(args[0], normalize(S.HeaderOnly, r));
  },
};

export const revokePermission: CommandSpec = {
  async run(ctx, args, f) {
    if (args.length < 2)
      throw new CtlError(
        ExitBadArgs,
        'role revoke-permission command requires role name and key [endkey] as its argument',
      );
    const [key, end] = permRange(args.slice(1), !!f.prefix, !!f['from-key']);
    const printer = ctx.printer();
    const req: Record<string, unknown> = { role: args[0], key: buf(key) };
    if (end) req.rangeEnd = buf(end);
    const r = await ctx.conn().unary('Auth', 'RoleRevokePermission', req);
    printer.roleRevokePermission(args[0], args[1], end, normalize(S.HeaderOnly, r));
  },
};
