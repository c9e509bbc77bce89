import type { CommandSpec, Ctx } from '../command';
import { rpcErrorText } from '../conn';
import { CtlError, ExitError } from '../exit-codes';
import { goDuration } from '../go-format';
import { normalize } from '../go-json';
import type { EpHashKV, EpHealth, EpStatus } from '../printer';
import * as S from '../schemas';

/** --endpoints, or with --cluster every client URL of the member list. */
async function endpoints(ctx: Ctx, useCluster: boolean): Promise<string[]> {
  if (!useCluster) return ctx.globals.endpoints;
  try {
    const r = normalize(S.MemberListResponse, await ctx.conn().unary('Cluster', 'MemberList', {}));
    return r.members.flatMap((m: { clientURLs: string[] }) => m.clientURLs);
  } catch (e) {
    throw new CtlError(
      ExitError,
      `failed to fetch endpoints from etcd cluster member list: ${rpcErrorText(e)}`,
    );
  }
}

export const health: CommandSpec = {
  async run(ctx, _args, f) {
    const printer = ctx.printer();
    const eps = await endpoints(ctx, !!f.cluster);
    const list: EpHealth[] = await Promise.all(
      eps.map(async (ep) => {
        const conn = ctx.connTo(ep);
        const st = performance.now();
        try {
          await conn.unary('KV', 'Range', { key: Buffer.from('health') });
          return { ep, health: true, took: goDuration(performance.now() - st), error: '' };
        } catch (e) {
          const text = rpcErrorText(e);
          const ok = text === 'etcdserver: permission denied';
          return { ep, health: ok, took: goDuration(performance.now() - st), error: ok ? '' : text };
        }
      }),
    );
    printer.endpointHealth(list);
    if (list.some((h) => h.error !== '')) throw new CtlError(ExitError, 'unhealthy cluster');
  },
};

export const status: CommandSpec = {
  async run(ctx, _args, f) {
    const printer = ctx.printer();
    const list: EpStatus[] = [];
    let failed = false;
    for (const ep of await endpoints(ctx, !!f.cluster)) {
      try {
        list.push({
          ep,
          resp: normalize(S.StatusResponse, await ctx.connTo(ep).unary('Maintenance', 'Status', {})),
        });
      } catch (e) {
        failed = true;
        process.stderr.write(`Failed to get the status of endpoint ${ep} (${rpcErrorText(e)})\n`);
      }
    }
    printer.endpointStatus(list);
    if (failed) process.exitCode = ExitError;
  },
};

export const hashkv: CommandSpec = {
  async run(ctx, _args, f) {
    const printer = ctx.printer();
    const list: EpHashKV[] = [];
    let err: unknown;
    for (const ep of await endpoints(ctx, !!f.cluster)) {
      try {
        const r = await ctx.connTo(ep).unary('Maintenance', 'HashKV', { revision: f.rev });
        list.push({ ep, resp: normalize(S.HashKVResponse, r) });
      } catch (e) {
        err = e;
        process.stderr.write(`Failed to get the hash of endpoint ${ep} (${rpcErrorText(e)})\n`);
      }
    }
    printer.endpointHashKV(list);
    if (err) throw new CtlError(ExitError, rpcErrorText(err));
  },
};
