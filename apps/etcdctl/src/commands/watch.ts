import { spawnSync } from 'node:child_process';
import { argify } from '../argify';
import type { CommandSpec, Ctx } from '../command';
import type { Conn } from '../conn';
import { CtlError, ExitBadArgs, ExitInterrupted, ExitInvalidInput } from '../exit-codes';
import { goQuote } from '../go-format';
import { keyRange } from '../kv-ops';
import type { Msg, Printer } from '../printer';
import { openWatch, type WatchHandle } from '../watch-stream';

const errBadArgsNum = 'bad number of arguments';
const errConflictEnv = 'bad number of arguments (found conflicting environment key)';
const errSeparator = 'bad number of arguments (found separator --, but no commands)';

interface WatchOpts {
  prefix: boolean;
  rev: number;
  prevKv: boolean;
  progressNotify: boolean;
}

async function startWatch(conn: Conn, args: string[], o: WatchOpts): Promise<WatchHandle> {
  if (args.length < 1) throw new Error(errBadArgsNum);
  if (args.length === 2 && o.prefix) throw new Error('`range_end` and `--prefix` are mutually exclusive');
  const range = keyRange(args[0], { prefix: o.prefix, rangeEnd: args[1] });
  return openWatch(conn, {
    key: range.key,
    rangeEnd: range.rangeEnd,
    startRevision: o.rev,
    prevKv: o.prevKv,
    progressNotify: o.progressNotify,
  });
}

/** The error text clientv3's WatchResponse.Err() gives for a cancelled watch. */
function cancelText(r: Msg): string {
  if (r.compactRevision !== 0n) return 'etcdserver: mvcc: required revision has been compacted';
  return r.cancelReason || 'etcdserver: watch canceled';
}

async function printWatch(w: WatchHandle, printer: Printer, execArgs: string[] | undefined): Promise<void> {
  for await (const r of w.responses()) {
    if (r.canceled) process.stderr.write(`watch was canceled (${cancelText(r)})\n`);
    const progress =
      r.events.length === 0 &&
      !r.canceled &&
      !r.created &&
      r.compactRevision === 0n &&
      r.header.revision !== 0n;
    if (progress) process.stdout.write(`progress notify: ${r.header.revision}\n`);
    printer.watch(r);
    if (execArgs && execArgs.length > 0) {
      for (const ev of r.events) {
        const env = {
          ...process.env,
          ETCD_WATCH_REVISION: String(r.header.revision),
          ETCD_WATCH_EVENT_TYPE: `"${ev.type === 1 ? 'DELETE' : 'PUT'}"`,
          ETCD_WATCH_KEY: goQuote(ev.kv.key),
          ETCD_WATCH_VALUE: goQuote(ev.kv.value),
        };
        const res = spawnSync(execArgs[0], execArgs.slice(1), { env, stdio: 'inherit' });
        if (res.error || res.status !== 0) {
          const why = res.error ? String((res.error as Error).message) : `exit status ${res.status}`;
          process.stderr.write(`command ${JSON.stringify(execArgs).replace(/","/g, '" "')} error (${why})\n`);
          process.exit(1);
        }
      }
    }
  }
}

export const watch: CommandSpec = {
  runsDashArgs: true,
  async run(ctx, args, f) {
    const envKey = process.env.ETCDCTL_WATCH_KEY ?? '';
    const envRange = process.env.ETCDCTL_WATCH_RANGE_END ?? '';
    if (envKey === '' && envRange !== '')
      throw new CtlError(
        ExitBadArgs,
        `ETCDCTL_WATCH_KEY is empty but got ETCDCTL_WATCH_RANGE_END=${goQuote(envRange)}`,
      );
    const opts: WatchOpts = {
      prefix: !!f.prefix,
      rev: f.rev,
      prevKv: !!f['prev-kv'],
      progressNotify: !!f['progress-notify'],
    };
    if (f.interactive) return interactive(ctx, envKey, envRange, opts);
    const dash = ctx.dashArgs;
    if (dash !== undefined && dash.length === 0) throw new CtlError(ExitBadArgs, errSeparator);
    if (dash === undefined && args.length < 1 && envKey === '')
      throw new CtlError(ExitBadArgs, errBadArgsNum);
    if (envKey !== '' && args.length > 0) throw new CtlError(ExitBadArgs, errConflictEnv);
    let watchArgs = args;
    if (envKey !== '') watchArgs = envRange !== '' ? [envKey, envRange] : [envKey];
    const printer = ctx.printer();
    const conn = ctx.conn();
    let w: WatchHandle;
    try {
      w = await startWatch(conn, watchArgs, opts);
    } catch (e) {
      throw new CtlError(ExitBadArgs, (e as Error).message);
    }
    // Go's etcdctl does not catch SIGINT in watch: it dies by the signal, and so do we.
    process.once('SIGINT', () => {
      w.close();
      process.kill(process.pid, 'SIGINT');
    });
    await printWatch(w, printer, dash);
    throw new CtlError(ExitInterrupted, 'watch is canceled by the server');
  },
};

async function interactive(ctx: Ctx, envKey: string, envRange: string, base: WatchOpts): Promise<void> {
  const printer = ctx.printer();
  const conn = ctx.conn();
  const readline = require('node:readline') as typeof import('node:readline');
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  const watchers: WatchHandle[] = [];
  for await (const l of rl) {
    const args = argify(l);
    if (args.length < 1) {
      process.stderr.write(`Invalid command: ${l} (watch and progress supported)\n`);
      continue;
    }
    if (args[0] === 'watch') {
      if (args.length < 2 && envKey === '') {
        process.stderr.write(`Invalid command ${l} (command type or key is not provided)\n`);
        continue;
      }
      const rest = args.slice(1);
      const dash = rest.indexOf('--');
      const before = dash >= 0 ? rest.slice(0, dash) : rest;
      const execArgs = dash >= 0 ? rest.slice(dash + 1) : undefined;
      if (dash >= 0 && execArgs?.length === 0) throw new CtlError(ExitBadArgs, errSeparator);
      const o: WatchOpts = { ...base, prefix: false, rev: 0, prevKv: false };
      const pos: string[] = [];
      for (let i = 0; i < before.length; i++) {
        const a = before[i];
        if (a === '--prefix') o.prefix = true;
        else if (a === '--prev-kv') o.prevKv = true;
        else if (a === '--rev') o.rev = Number(before[++i]);
        else if (a.startsWith('--rev=')) o.rev = Number(a.slice(6));
        else pos.push(a);
      }
      if (dash < 0 && envKey === '' && pos.length < 1) throw new CtlError(ExitBadArgs, errBadArgsNum);
      if (dash < 0 && pos.length > 0 && envKey !== '') throw new CtlError(ExitBadArgs, errConflictEnv);
      const wargs = envKey !== '' ? (envRange !== '' ? [envKey, envRange, ...pos] : [envKey, ...pos]) : pos;
      try {
        const w = await startWatch(conn, wargs, o);
        watchers.push(w);
        void printWatch(w, printer, execArgs);
      } catch (e) {
        process.stderr.write(`Invalid command ${l} (${(e as Error).message})\n`);
      }
    } else if (args[0] === 'progress') {
      for (const w of watchers) w.requestProgress();
    } else {
      process.stderr.write(`Invalid command ${l} (only support watch)\n`);
    }
  }
  throw new CtlError(ExitInvalidInput, 'Error reading watch request line: EOF');
}
