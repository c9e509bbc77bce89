// The CLI's top level (run by cli.ts, or by snapshot-entry.ts from the start-up snapshot). get/put/del (the commands scripts run in loops) take a fast path
// that does not load oclif: cobra's command resolution, pflag.ts with the flag table generated from
// their oclif declarations (hot-flags.ts), then the command's logic. Everything else (other commands,
// help, any flag error, which prints a help page) goes through oclif (oclif-run.ts, loaded lazily).
import { commands } from './commands';
import { findCommand } from './find-command';
import { FlagValueError, type Globals, resolveGlobals } from './global-flags';
import { hotFlags } from './hot-flags';
import { FlagError, type Parsed, parse } from './pflag';
import { exitFlushed, fail, mark, runSpec } from './run-command';

/** Runs get/put/del when the command line is plain; false when oclif has to take it. */
async function fastPath(argv: string[]): Promise<boolean> {
  if (argv.some((a) => a === 'help')) return false;
  const found = findCommand(argv);
  if ('error' in found) return false;
  const own = hotFlags.commands[found.id];
  if (!own) return false;
  let parsed: Parsed;
  let globals: Globals;
  try {
    parsed = parse(found.rest, { ...hotFlags.globals, ...own });
    if (parsed.flags.help) return false;
    globals = resolveGlobals(parsed.flags, parsed.given);
  } catch (e) {
    if (e instanceof FlagError || e instanceof FlagValueError) return false;
    throw e;
  }
  mark('flags parsed');
  await runSpec(found.id, commands[found.id](), parsed, globals);
  return true;
}

async function main(argv: string[]): Promise<void> {
  const api = process.env.ETCDCTL_API;
  if (api !== undefined && api !== '' && api !== '3') {
    process.stderr.write(`unsupported API version ${api}\n`);
    process.exit(1);
  }
  if (await fastPath(argv)) return;
  mark('loading oclif');
  const { runOclif } = require('./oclif-run') as typeof import('./oclif-run');
  await runOclif(argv);
}

/** Runs one command line (the arguments after the program name) and exits. */
export function runCli(argv: string[]): void {
  mark('main evaluated');
  main(argv).then(
    () => exitFlushed(Number(process.exitCode ?? 0)),
    (e) => fail(e),
  );
}
