/** Exit codes: 1 = the input cannot be processed, 2 = the command line is wrong. */
export const EXIT_INPUT = 1;
export const EXIT_USAGE = 2;
// sysexits' EX_SOFTWARE: scripts can tell our bugs from bad input.
export const EXIT_BUG = 70;

/** A failure the user can fix; printed as one line, never with a stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_INPUT,
  ) {
    super(message);
    this.name = "CliError";
  }
}

export const usageError = (message: string) => new CliError(`${message}\nRun with --help to see the options.`, EXIT_USAGE);
