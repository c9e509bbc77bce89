// etcdctl's exit codes and its "Error: ..." line. Commands throw CtlError; main prints and exits.
export const ExitSuccess = 0;
export const ExitError = 1;
export const ExitBadConnection = 2;
export const ExitInvalidInput = 3;
export const ExitBadFeature = 4;
export const ExitInterrupted = 5;
export const ExitIO = 6;
export const ExitBadArgs = 128;

export class CtlError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Writes "Error: <msg>" to stderr (as etcdctl's ExitWithError) and exits. */
export function exitWithError(code: number, message: string): never {
  process.stderr.write(`Error: ${message}\n`);
  process.exit(code);
}
