import type { CommandSpec } from '../command';
import { rpcErrorText } from '../conn';
import { CtlError, ExitBadArgs, ExitError } from '../exit-codes';
import { normalize } from '../go-json';
import * as S from '../schemas';
import { memberIdArg } from './member';

export const defrag: CommandSpec = {
  async run(ctx, _args, f) {
    if (f['data-dir']) {
      process.stderr.write(
        `Failed to defragment etcd data[${f['data-dir']}] (offline defragmentation of a bbolt file is not supported)\n`,
      );
      process.exit(ExitError);
    }
    ctx.printer();
    let eps = ctx.globals.endpoints;
    if (f.cluster) {
      const r = normalize(S.MemberListResponse, await ctx.conn().unary('Cluster', 'MemberList', {}));
      eps = r.members.flatMap((m: { clientURLs: string[] }) => m.clientURLs);
    }
    let failures = 0;
    for (const ep of eps) {
      try {
        await ctx.connTo(ep).unary('Maintenance', 'Defragment', {});
        process.stdout.write(`Finished defragmenting etcd member[${ep}]\n`);
      } catch (e) {
        process.stderr.write(`Failed to defragment etcd member[${ep}] (${rpcErrorText(e)})\n`);
        failures++;
      }
    }
    if (failures) process.exitCode = ExitError;
  },
};

export const alarmList: CommandSpec = {
  async run(ctx, args) {
    if (args.length !== 0) throw new CtlError(ExitBadArgs, 'alarm list command accepts no arguments');
    const printer = ctx.printer();
    const r = await ctx.conn().unary('Maintenance', 'Alarm', { action: 0, memberID: '0', alarm: 0 });
    printer.alarm(normalize(S.AlarmResponse, r));
  },
};

export const alarmDisarm: CommandSpec = {
  async run(ctx, args) {
    if (args.length !== 0) throw new CtlError(ExitBadArgs, 'alarm disarm command accepts no arguments');
    const printer = ctx.printer();
    const conn = ctx.conn();
    // clientv3's AlarmDisarm with an empty member: list the alarms, then deactivate each one
    const list = normalize(S.AlarmResponse, await conn.unary('Maintenance', 'Alarm', { action: 0 }));
    let last = list;
    for (const a of list.alarms) {
      last = normalize(
        S.AlarmResponse,
        await conn.unary('Maintenance', 'Alarm', {
          action: 2,
          memberID: a.memberID.toString(),
          alarm: a.alarm,
        }),
      );
    }
    printer.alarm(list.alarms.length ? { ...last, alarms: list.alarms } : last);
  },
};

export const moveLeader: CommandSpec = {
  async run(ctx, args) {
    if (args.length !== 1) throw new CtlError(ExitBadArgs, 'move-leader command needs 1 argument');
    let target: bigint;
    if (!/^[0-9a-fA-F]+$/.test(args[0]) || BigInt(`0x${args[0]}`) >= 2n ** 64n)
      throw new CtlError(
        ExitBadArgs,
        `strconv.ParseUint: parsing ${JSON.stringify(args[0])}: invalid syntax`,
      );
    else target = memberIdArg(args[0]);
    const printer = ctx.printer();
    let leaderConn: ReturnType<typeof ctx.connTo> | undefined;
    let leaderId = 0n;
    for (const ep of ctx.globals.endpoints) {
      const c = ctx.connTo(ep);
      let st: { header: { memberId: bigint }; leader: bigint };
      try {
        st = normalize(S.StatusResponse, await c.unary('Maintenance', 'Status', {}));
      } catch (e) {
        throw new CtlError(ExitError, rpcErrorText(e));
      }
      if (st.header.memberId === st.leader) {
        leaderConn = c;
        leaderId = st.leader;
        break;
      }
    }
    if (!leaderConn)
      throw new CtlError(ExitBadArgs, `no leader endpoint given at [${ctx.globals.endpoints.join(' ')}]`);
    const r = await leaderConn.unary('Maintenance', 'MoveLeader', { targetID: target.toString() });
    printer.moveLeader(leaderId, target, normalize(S.MoveLeaderResponse, r));
  },
};
