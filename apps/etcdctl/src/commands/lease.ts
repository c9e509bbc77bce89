import type { CommandSpec } from '../command';
import { rpcErrorText } from '../conn';
import { CtlError, ExitBadArgs, ExitBadConnection, ExitError } from '../exit-codes';
import { hex16 } from '../go-format';
import { normalize } from '../go-json';
import { leaseArg, parseDecInt64 } from '../kv-ops';
import { keepAliveStream } from '../lease-keepalive';
import * as S from '../schemas';

export const grant: CommandSpec = {
  async run(ctx, args) {
    if (args.length !== 1) throw new CtlError(ExitBadArgs, 'lease grant command needs TTL argument');
    let ttl: bigint;
    try {
      ttl = parseDecInt64(args[0]);
    } catch (e) {
      throw new CtlError(ExitBadArgs, `bad TTL (${(e as Error).message})`);
    }
    const printer = ctx.printer();
    let raw: unknown;
    try {
      raw = await ctx.conn().unary('Lease', 'LeaseGrant', { TTL: ttl.toString(), ID: '0' });
    } catch (e) {
      throw new CtlError(ExitError, `failed to grant lease (${rpcErrorText(e)})`);
    }
    printer.grant(normalize(S.LeaseGrantResponse, raw));
  },
};

export const revoke: CommandSpec = {
  async run(ctx, args) {
    if (args.length !== 1) throw new CtlError(ExitBadArgs, 'lease revoke command needs 1 argument');
    const id = leaseArg(args[0]);
    const printer = ctx.printer();
    let raw: unknown;
    try {
      raw = await ctx.conn().unary('Lease', 'LeaseRevoke', { ID: id.toString() });
    } catch (e) {
      throw new CtlError(ExitError, `failed to revoke lease (${rpcErrorText(e)})`);
    }
    printer.revoke(id, normalize(S.LeaseRevokeResponse, raw));
  },
};

export const timetolive: CommandSpec = {
  async run(ctx, args, f) {
    if (args.length !== 1)
      throw new CtlError(ExitBadArgs, 'lease timetolive command needs lease ID as argument');
    const id = leaseArg(args[0]);
    const printer = ctx.printer();
    let raw: unknown;
    try {
      // etcdctl uses no command timeout here (context.TODO)
      raw = await ctx
        .conn()
        .unary('Lease', 'LeaseTimeToLive', { ID: id.toString(), keys: f.keys }, 2 ** 31 - 1);
    } catch (e) {
      throw new CtlError(ExitBadConnection, rpcErrorText(e));
    }
    printer.timeToLive(normalize(S.LeaseTimeToLiveResponse, raw), f.keys);
  },
};

export const list: CommandSpec = {
  async run(ctx) {
    const printer = ctx.printer();
    let raw: unknown;
    try {
      raw = await ctx.conn().unary('Lease', 'LeaseLeases', {}, 2 ** 31 - 1);
    } catch (e) {
      throw new CtlError(ExitBadConnection, rpcErrorText(e));
    }
    printer.leases(normalize(S.LeaseLeasesResponse, raw));
  },
};

export const keepAlive: CommandSpec = {
  async run(ctx, args, f) {
    if (args.length !== 1)
      throw new CtlError(ExitBadArgs, 'lease keep-alive command needs lease ID as argument');
    const id = leaseArg(args[0]);
    const printer = ctx.printer();
    const ka = await keepAliveStream(ctx.conn(), id);
    try {
      if (f.once) {
        const resp = await ka.next();
        if (!resp) throw new CtlError(ExitBadConnection, 'etcdserver: requested lease not found');
        printer.keepAlive(resp);
        return;
      }
      for (;;) {
        const resp = await ka.next();
        if (!resp) break;
        printer.keepAlive(resp);
        await ka.sleep(Number(resp.TTL) / 3);
      }
    } catch (e) {
      if (e instanceof CtlError) throw e;
      throw new CtlError(ExitBadConnection, rpcErrorText(e));
    } finally {
      ka.close();
    }
    if (ctx.globals.writeOut === 'simple') process.stdout.write(`lease ${hex16(id)} expired or revoked.\n`);
  },
};
