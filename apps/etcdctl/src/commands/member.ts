import type { CommandSpec } from '../command';
import { CtlError, ExitBadArgs } from '../exit-codes';
import { goQuote } from '../go-format';
import { normalize } from '../go-json';
import * as S from '../schemas';

/** strconv.ParseUint(s, 16, 64) with etcdctl's error text */
export function memberIdArg(s: string): bigint {
  let err: string | undefined;
  if (!/^[0-9a-fA-F]+$/.test(s)) err = `strconv.ParseUint: parsing ${goQuote(s)}: invalid syntax`;
  else if (BigInt(`0x${s}`) >= 2n ** 64n)
    err = `strconv.ParseUint: parsing ${goQuote(s)}: value out of range`;
  if (err) throw new CtlError(ExitBadArgs, `bad member ID arg (${err}), expecting ID in Hex`);
  return BigInt(`0x${s}`);
}

function oneId(args: string[]): bigint {
  if (args.length !== 1) throw new CtlError(ExitBadArgs, 'member ID is not provided');
  return memberIdArg(args[0]);
}

export const add: CommandSpec = {
  async run(ctx, args, f) {
    if (args.length < 1) throw new CtlError(ExitBadArgs, 'member name not provided');
    if (args.length > 1) {
      let ev = 'too many arguments';
      for (const s of args) if (s.toLowerCase().startsWith('http')) ev += `, did you mean --peer-urls=${s}`;
      throw new CtlError(ExitBadArgs, ev);
    }
    const name = args[0];
    if (f['peer-urls'].length === 0) throw new CtlError(ExitBadArgs, 'member peer urls not provided');
    const urls = f['peer-urls'].split(',');
    const printer = ctx.printer();
    const resp = normalize(
      S.MemberAddResponse,
      await ctx.conn().unary('Cluster', 'MemberAdd', { peerURLs: urls, isLearner: !!f.learner }),
    );
    printer.memberAdd(resp);
    if (ctx.globals.writeOut === 'simple') {
      const conf: string[] = [];
      for (const m of resp.members) {
        for (const u of m.peerURLs) conf.push(`${m.ID === resp.member.ID ? name : m.name}=${u}`);
      }
      process.stdout.write(
        `\nETCD_NAME=${goQuote(name)}\nETCD_INITIAL_CLUSTER=${goQuote(conf.join(','))}\n` +
          `ETCD_INITIAL_ADVERTISE_PEER_URLS=${goQuote(f['peer-urls'])}\nETCD_INITIAL_CLUSTER_STATE="existing"\n`,
      );
    }
  },
};

export const remove: CommandSpec = {
  async run(ctx, args) {
    const id = oneId(args);
    const printer = ctx.printer();
    const resp = await ctx.conn().unary('Cluster', 'MemberRemove', { ID: id.toString() });
    printer.memberRemove(id, normalize(S.MemberRemoveResponse, resp));
  },
};

export const update: CommandSpec = {
  async run(ctx, args, f) {
    const id = oneId(args);
    if (f['peer-urls'].length === 0) throw new CtlError(ExitBadArgs, 'member peer urls not provided');
    const printer = ctx.printer();
    const resp = await ctx
      .conn()
      .unary('Cluster', 'MemberUpdate', { ID: id.toString(), peerURLs: f['peer-urls'].split(',') });
    printer.memberUpdate(id, normalize(S.MemberUpdateResponse, resp));
  },
};

export const list: CommandSpec = {
  async run(ctx) {
    const printer = ctx.printer();
    const resp = await ctx.conn().unary('Cluster', 'MemberList', {});
    printer.memberList(normalize(S.MemberListResponse, resp));
  },
};

export const promote: CommandSpec = {
  async run(ctx, args) {
    const id = oneId(args);
    const printer = ctx.printer();
    const resp = await ctx.conn().unary('Cluster', 'MemberPromote', { ID: id.toString() });
    printer.memberPromote(id, normalize(S.MemberPromoteResponse, resp));
  },
};
