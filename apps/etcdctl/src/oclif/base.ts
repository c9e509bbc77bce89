// The base of every etcdctl oclif Command. Its parse step is pflag.ts, not oclif's parser: etcdctl's
// command lines are spf13/pflag's (`--prefix=false`, `-w json` anywhere among the arguments, grouped
// shorthands, `--` handing the rest to watch/lock) and its errors are pflag's words ("unknown flag:
// --x", "invalid argument ... strconv.ParseInt ..."), which oclif's parser neither accepts nor
// prints. The definitions it parses with are derived from the oclif flags the class declares.
import { Command } from '@oclif/core/command';
import type { CommandSpec } from '../command';
import { asFlagDefs, type OclifFlagLike } from '../flags';
import { FlagValueError, resolveGlobals } from '../global-flags';
import { FlagError, type Parsed, parse } from '../pflag';
import { runSpec } from '../run-command';
import { usageError } from '../usage';
import { globalFlagDecls } from './declarations';

export abstract class EtcdctlCommand extends Command {
  static override baseFlags = globalFlagDecls;
  /** cobra takes any number of arguments; each command words its own argument errors */
  static override strict = false;
  /** the id as etcdctl spells it ("lease grant") */
  static cobraId: string;
  /** the command's logic, loaded when it runs */
  static spec: () => CommandSpec;

  private get cls(): typeof EtcdctlCommand {
    return this.constructor as typeof EtcdctlCommand;
  }

  // biome-ignore lint/suspicious/noExplicitAny: oclif's parse returns its own output type; ours is pflag's
  override async parse(): Promise<any> {
    const c = this.cls;
    const defs = asFlagDefs({ ...c.baseFlags, ...c.flags } as Record<string, OclifFlagLike>);
    try {
      const parsed = parse(this.argv, defs);
      this.parsed = true;
      return parsed;
    } catch (e) {
      if (e instanceof FlagError) return usageError(e.message, () => this.showHelp());
      throw e;
    }
  }

  override async run(): Promise<void> {
    const parsed: Parsed = await this.parse();
    if (parsed.flags.help) return this.showHelp();
    let globals: ReturnType<typeof resolveGlobals>;
    try {
      globals = resolveGlobals(parsed.flags, parsed.given);
    } catch (e) {
      if (e instanceof FlagValueError) return usageError(e.message, () => this.showHelp());
      throw e;
    }
    await runSpec(this.cls.cobraId, this.cls.spec(), parsed, globals);
  }

  /** this command's page, through the CLI's help class (package.json oclif.helpClass) */
  async showHelp(): Promise<void> {
    const { loadHelpClass } = await import('@oclif/core/help');
    const Help = await loadHelpClass(this.config);
    await new Help(this.config).showHelp([...this.cls.cobraId.split(' ')]);
  }

  /** etcdctl's errors are printed by main (fail), with etcdctl's exit codes */
  override async catch(err: Error): Promise<never> {
    throw err;
  }
}
