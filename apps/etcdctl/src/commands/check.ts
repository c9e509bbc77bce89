import type { CommandSpec } from '../command';
import type { Conn } from '../conn';
import { rpcErrorText } from '../conn';
import { CtlError, ExitBadFeature, ExitError, ExitInvalidInput } from '../exit-codes';
import { goQuote } from '../go-format';
import { normalize } from '../go-json';
import { prefixRangeEnd } from '../printer-simple';
import * as S from '../schemas';

const models: Record<string, { limit: number; clients: number }> = {
  s: { limit: 150, clients: 50 },
  m: { limit: 1000, clients: 200 },
  l: { limit: 8000, clients: 500 },
  xl: { limit: 15000, clients: 1000 },
};
const aliases: Record<string, string> = {
  s: 's',
  small: 's',
  m: 'm',
  medium: 'm',
  l: 'l',
  large: 'l',
  xl: 'xl',
  xLarge: 'xl',
};

export const perf: CommandSpec = {
  async run(ctx, _args, f) {
    const model = aliases[f.load];
    if (!model) throw new CtlError(ExitBadFeature, `unknown load option ${f.load}`);
    const cfg = models[model];
    // etcdctl runs for 60 s; KV_CHECK_PERF_SECONDS shortens it for tests
    const duration = Number(process.env.KV_CHECK_PERF_SECONDS ?? 60);
    ctx.printer();
    const pfx = Buffer.from(f.prefix, 'utf8');
    const conns: Conn[] = Array.from({ length: Math.min(cfg.clients, 8) }, () =>
      ctx.connTo(ctx.globals.endpoints[0]),
    );
    const first = conns[0];
    let existing: { kvs: unknown[] };
    try {
      existing = normalize(
        S.RangeResponse,
        await first.unary(
          'KV',
          'Range',
          { key: pfx, rangeEnd: prefixRangeEnd(pfx), limit: 1 },
          duration * 1000,
        ),
      );
    } catch (e) {
      throw new CtlError(ExitError, rpcErrorText(e));
    }
    if (existing.kvs.length > 0)
      throw new CtlError(
        ExitInvalidInput,
        `prefix ${goQuote(f.prefix)} has keys. Delete with etcdctl del --prefix ${f.prefix} first`,
      );
    const value = Buffer.alloc(1024);
    const lats: number[] = [];
    const errors = new Map<string, number>();
    const start = performance.now();
    const end = start + duration * 1000;
    const interval = 1000 / cfg.limit;
    let next = start;
    let inflight = 0;
    const bar = setInterval(() => {
      const s = Math.min(duration, Math.round((performance.now() - start) / 1000));
      process.stdout.write(
        `\r${String(s).padStart(3)} / ${duration} ${'o'.repeat(Math.floor((s / duration) * 40))}m! ${((s / duration) * 100).toFixed(2)}%`,
      );
    }, 1000);
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        if (now >= end) {
          if (inflight === 0) resolve();
          else setTimeout(tick, 10);
          return;
        }
        while (next <= now && inflight < cfg.clients) {
          next += interval;
          inflight++;
          const key = Buffer.concat([
            pfx,
            Buffer.from(
              BigInt.asUintN(64, BigInt(Math.floor(Math.random() * 2 ** 53)))
                .toString(16)
                .padStart(16, '0'),
            ),
          ]);
          const st = performance.now();
          conns[lats.length % conns.length]
            .unary('KV', 'Put', { key, value }, 30_000)
            .then(
              () => lats.push((performance.now() - st) / 1000),
              (e) => errors.set(rpcErrorText(e), (errors.get(rpcErrorText(e)) ?? 0) + 1),
            )
            .finally(() => inflight--);
        }
        setTimeout(tick, Math.max(1, next - performance.now()));
      };
      tick();
    });
    clearInterval(bar);
    process.stdout.write('\n');
    const total = (performance.now() - start) / 1000;
    const d = normalize(
      S.DeleteRangeResponse,
      await first.unary('KV', 'DeleteRange', { key: pfx, rangeEnd: prefixRangeEnd(pfx) }, 30_000),
    );
    if (f['auto-compact']) {
      process.stdout.write(`Compacting with revision ${d.header.revision}\n`);
      await first.unary('KV', 'Compact', { revision: String(d.header.revision), physical: true }, 30_000);
      process.stdout.write(`Compacted with revision ${d.header.revision}\n`);
    }
    if (f['auto-defrag']) {
      for (const ep of ctx.globals.endpoints) {
        process.stdout.write(`Defragmenting ${goQuote(ep)}\n`);
        await ctx.connTo(ep).unary('Maintenance', 'Defragment', {}, 30_000);
        process.stdout.write(`Defragmented ${goQuote(ep)}\n`);
      }
    }
    const rps = lats.length / total;
    const mean = lats.reduce((a, b) => a + b, 0) / Math.max(1, lats.length);
    const stddev = Math.sqrt(lats.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, lats.length));
    const slowest = Math.max(0, ...lats);
    let ok = true;
    if (errors.size) {
      process.stdout.write('FAIL: too many errors\n');
      for (const [k, v] of errors) process.stdout.write(`FAIL: ERROR(${k}) -> ${v}\n`);
      ok = false;
    }
    if (rps / cfg.limit <= 0.9) {
      process.stdout.write(`FAIL: Throughput too low: ${Math.floor(rps) + 1} writes/s\n`);
      ok = false;
    } else process.stdout.write(`PASS: Throughput is ${Math.floor(rps) + 1} writes/s\n`);
    if (slowest > 0.5) {
      process.stdout.write(`Slowest request took too long: ${slowest.toFixed(6)}s\n`);
      ok = false;
    } else process.stdout.write(`PASS: Slowest request took ${slowest.toFixed(6)}s\n`);
    if (stddev > 0.1) {
      process.stdout.write(`Stddev too high: ${stddev.toFixed(6)}s\n`);
      ok = false;
    } else process.stdout.write(`PASS: Stddev is ${stddev.toFixed(6)}s\n`);
    process.stdout.write(ok ? 'PASS\n' : 'FAIL\n');
    if (!ok) process.exitCode = ExitError;
  },
};
