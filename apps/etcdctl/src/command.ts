// What a command does: its run function. The oclif Command classes (oclif/commands.ts) declare its
// flags and call it; get/put/del's fast path (main.ts) calls it directly. Positional arguments arrive
// unvalidated, as cobra hands them to etcdctl's commands, because each command words its own errors.
import type { Conn } from './conn';
import type { Globals } from './global-flags';
import type { Printer } from './printer';

export type FlagValues = Record<string, any>;

export interface Ctx {
  globals: Globals;
  /** flags given on the command line (not defaults) */
  given: Set<string>;
  /** arguments after `--`, or undefined when there was no `--` */
  dashArgs: string[] | undefined;
  /** the printer chosen by -w; creating it validates -w as etcdctl does when it builds its client */
  printer(valueOnly?: boolean): Printer;
  /** the connection (made on first use) */
  conn(): Conn;
  /** the connection for get/put/del's KV calls: a lean one when the options allow (made on first use) */
  kv(): Pick<Conn, 'unary'>;
  /** a connection to one given endpoint */
  connTo(endpoint: string): Conn;
}

export interface CommandSpec {
  /** the command runs what follows `--` (watch, lock): it arrives as ctx.dashArgs, not as arguments */
  runsDashArgs?: boolean;
  run(ctx: Ctx, args: string[], flags: FlagValues): Promise<void> | void;
}
