import { PipelineError } from "../worker/pipeline/errors";
import { parseCoverageArgs, parseJobsArgs, parseProcessArgs, parseResultArgs, parseSubmitArgs, USAGE } from "./args";
import { CliError, EXIT_BUG, EXIT_INPUT, EXIT_USAGE, usageError } from "./errors";
// Each command's code is imported when it runs: a command line refused (exit 2) or --help loads
// no PDF reader, lexicon or SQLite.

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    process.stderr.write(USAGE);
    process.exitCode = EXIT_USAGE;
    return;
  }
  if (command === "--help" || command === "-h" || command === "help") return void process.stdout.write(USAGE);
  if (command === "segment") {
    if (rest.includes("--help") || rest.includes("-h")) return void process.stdout.write(USAGE);
    if (rest.length > 0) throw usageError(`segment takes no arguments (got ${rest.join(" ")}); it reads stdin.`);
    const { runSegment } = await import("./segment");
    return runSegment(process.stdin, process.stdout);
  }
  if (command === "lemmatize") {
    if (rest.includes("--help") || rest.includes("-h")) return void process.stdout.write(USAGE);
    if (rest.length > 0) throw usageError(`lemmatize takes no arguments (got ${rest.join(" ")}); it reads stdin.`);
    const { runLemmatize } = await import("./lemmatize");
    return runLemmatize(process.stdin, process.stdout);
  }
  if (command === "process") {
    const args = parseProcessArgs(rest);
    if (args === null) return void process.stdout.write(USAGE);
    const { runProcess } = await import("./process");
    return runProcess(args);
  }
  if (command === "coverage") {
    const args = parseCoverageArgs(rest);
    if (args === null) return void process.stdout.write(USAGE);
    const { runCoverage } = await import("./coverage");
    return runCoverage(args);
  }
  if (command === "submit") {
    const args = parseSubmitArgs(rest);
    if (args === null) return void process.stdout.write(USAGE);
    return (await import("./remote")).runSubmit(args);
  }
  if (command === "jobs") {
    const args = parseJobsArgs(rest);
    if (args === null) return void process.stdout.write(USAGE);
    return (await import("./remote")).runJobs(args);
  }
  if (command === "result") {
    const args = parseResultArgs(rest);
    if (args === null) return void process.stdout.write(USAGE);
    return (await import("./remote")).runResult(args);
  }
  throw usageError(`unknown command "${command}" (expected segment, lemmatize, process, coverage, submit, jobs or result).`);
}

// A reader that stops early (`| head`) is not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CliError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else if (err instanceof PipelineError) {
    process.stderr.write(`error: ${err.message} (${err.code})\n`);
    process.exitCode = EXIT_INPUT;
  } else {
    // A bug of ours: still one line unless asked for the details.
    const message = err instanceof Error ? err.message : String(err);
    const stack = err instanceof Error ? err.stack : undefined;
    if (process.env.FNT_DEBUG && stack) process.stderr.write(`${stack}\n`);
    else process.stderr.write(`error: unexpected failure: ${message}\n(set FNT_DEBUG=1 for the stack trace)\n`);
    process.exitCode = EXIT_BUG;
  }
});
