// cobra's answer to a bad command line: the flag error, the command's help page, then etcdctl prints
// the error again; exit 1.
import { ExitError } from './exit-codes';

export async function usageError(msg: string, showHelp: () => Promise<void> | void): Promise<never> {
  process.stderr.write(`Error: ${msg}\n`);
  await showHelp();
  process.stderr.write(`\nError: ${msg}\n`);
  process.exit(ExitError);
}
