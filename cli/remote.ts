/**
 * The commands that talk to a French Novel Tool server through the typed client (client/):
 * `submit` (upload, in parts when the book is bigger than the server opens in one file;
 * follow over the WebSocket; write the sentences like `process`), `jobs` and `result`.
 */
import { ApiError, createApi, ok, type Api, type Schemas } from "../client";
import { JobEventStream } from "../client/events";
import { partsToSend, SplitError } from "../client/split";
import { fetchTransport, uploadBook } from "../client/upload";
import { renderResult } from "../worker/api/export";
import type { JobsArgs, RemoteArgs, ResultArgs, SubmitArgs } from "./args";
import { CliError, EXIT_INPUT } from "./errors";
import { loadSqlJs, render } from "./format";
import { makeProgress } from "./progress";
import { readPdf } from "./read-pdf";
import { checkBinaryOut, write } from "./write";

/** The job ended partial: its sentences are written, some pages are missing. */
export const EXIT_PARTIAL = 3;
/** sysexits' EX_UNAVAILABLE: the server could not be reached. */
export const EXIT_UNAVAILABLE = 69;

type Job = Schemas["Job"];

function client(args: RemoteArgs): Api {
  return createApi({ baseUrl: args.server, apiKey: args.apiKey });
}

/** The API's refusal in one line, with the exit status it deserves. */
function refused(err: unknown, doing: string): never {
  if (err instanceof ApiError) {
    if (err.code === "network_error") throw new CliError(`could not reach the server while ${doing}.`, EXIT_UNAVAILABLE);
    const wait = err.retry.retryAfterSeconds !== null ? ` Try again in ${err.retry.retryAfterSeconds} s.` : "";
    throw new CliError(`${err.message}${wait} (${err.status} ${err.code})`, EXIT_INPUT);
  }
  throw err;
}

async function call<T>(p: Promise<T>, doing: string): Promise<T> {
  try {
    return await p;
  } catch (err) {
    refused(err, doing);
  }
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

export async function runSubmit(args: SubmitArgs): Promise<void> {
  checkBinaryOut(args.format);
  const data = await readPdf(args.file);
  const api = client(args);
  const say = (line: string) => args.quiet || process.stderr.write(`${line}\n`);
  const limits = await call(ok(api.GET("/api/v1/limits")), "reading the server's limits");
  const name = args.file.split(/[\\/]/).pop() || "book.pdf";

  // Bigger than the server reads in one file (for its size, or for its pages while it holds
  // the whole book): cut here, sent as the parts of one job.
  const split = { maxBytes: limits.uploads.max_part_bytes, text: limits.uploads.text };
  let parts: Uint8Array[];
  try {
    parts = await partsToSend(data, split);
  } catch (err) {
    if (err instanceof SplitError) throw new CliError(`${args.file}: ${err.message}`);
    throw err;
  }
  if (parts.length > 1) {
    const why =
      data.length > split.maxBytes
        ? `over the server's ${mb(split.maxBytes)} a file`
        : `too big for the server to read whole with its pages`;
    say(`${name}: ${mb(data.length)}, ${why}: sending it in ${parts.length} parts.`);
  }

  const uploading = makeProgress(process.stderr, args.quiet, "MB sent");
  const transport = fetchTransport(args.server, { Authorization: `Bearer ${args.apiKey}` });
  const job = await call(
    uploadBook(
      api,
      {
        filename: name,
        parts,
        settings: args.settings,
        webhookUrl: args.webhookUrl,
        onProgress: (sent, total) => uploading.page(Math.round(sent / 1e6), Math.max(1, Math.round(total / 1e6))),
      },
      transport,
    ),
    "uploading",
  );
  uploading.end(`uploaded ${name} as job ${job.id}`);
  if (!args.wait) {
    process.stdout.write(`${job.id}\n`);
    return;
  }
  const final = await follow(args, job);
  await writeResult(api, final, args.format, args.quiet);
}

/** Follows the job's events until it ends; Ctrl-C stops following, not the job. */
function follow(args: SubmitArgs, job: Job): Promise<Job> {
  const progress = makeProgress(process.stderr, args.quiet, "chunks");
  const wsBase = args.server.replace(/^http/, "ws");
  const api = client(args);
  return new Promise<Job>((resolve, reject) => {
    const onSigint = () => {
      stream.stop();
      progress.end(`stopped following; the job goes on. Later: npm run -s cli -- result ${job.id}`);
      process.exit(130);
    };
    const stream = new JobEventStream(job.id, {
      // Node's WebSocket (undici) sends headers: the key never goes into a URL.
      open: (path) => new WebSocket(`${wsBase}${path}`, { headers: { Authorization: `Bearer ${args.apiKey}` } } as unknown as string[]),
      onEvent: (e) => {
        if (e.total_chunks > 0) progress.page(e.processed_chunks + e.failed_chunks, e.total_chunks);
        if (["completed", "partial", "failed", "cancelled"].includes(e.type)) {
          process.off("SIGINT", onSigint);
          // The row is final once the tracker has said so.
          ok(api.GET("/api/v1/jobs/{id}", { params: { path: { id: job.id } } })).then((j) => {
            progress.end(`${j.status}: ${j.page_count ?? "?"} pages, ${j.sentence_count ?? 0} sentences`);
            resolve(j);
          }, reject);
        }
      },
      onCredentialEnded: () => reject(new CliError("the server ended this API key (revoked or expired).")),
    });
    process.on("SIGINT", onSigint);
  });
}

async function writeResult(api: Api, job: Job, format: SubmitArgs["format"], quiet: boolean) {
  if (job.status === "failed" || job.status === "cancelled") {
    throw new CliError(
      `job ${job.id} ${job.status}: ${job.error_message ?? "no reason given"}${job.error_code ? ` (${job.error_code})` : ""}`,
    );
  }
  if (job.status !== "completed" && job.status !== "partial") {
    throw new CliError(`job ${job.id} is ${job.status} (${job.progress_percent}%): no sentences yet. Try again when it has ended.`);
  }
  const result = await call(
    ok(api.GET("/api/v1/jobs/{id}/result", { params: { path: { id: job.id }, query: { format: "json" } } })),
    "reading the result",
  );
  // Only the CSV/TSV/TXT exports are text; JSON was asked for.
  if (typeof result === "string") throw new Error("the server answered text where JSON was asked for");
  // anki, apkg and xlsx: the API's own renderer, so the file is the one the server's export gives.
  const out =
    format === "anki" || format === "apkg" || format === "xlsx"
      ? (await renderResult(result, format, job, { sql: loadSqlJs })).body
      : await render(result.sentences, format);
  await write(process.stdout, out);
  if (job.status === "partial") {
    if (!quiet) process.stderr.write(`partial: pages ${job.failed_pages.join(", ")} could not be processed; the rest is written.\n`);
    process.exitCode = EXIT_PARTIAL;
  }
}

export async function runJobs(args: JobsArgs): Promise<void> {
  const api = client(args);
  const page = await call(ok(api.GET("/api/v1/jobs", { params: { query: { limit: args.limit } } })), "listing jobs");
  const rows = page.jobs.map((j) => [
    j.id,
    j.status,
    j.page_count === null ? "" : String(j.page_count),
    j.created_at.slice(0, 16).replace("T", " "),
    j.original_filename,
  ]);
  const header = ["id", "status", "pages", "created", "file"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  await write(process.stdout, `${[line(header), ...rows.map(line)].join("\n")}\n`);
}

export async function runResult(args: ResultArgs): Promise<void> {
  checkBinaryOut(args.format);
  const api = client(args);
  const job = await call(ok(api.GET("/api/v1/jobs/{id}", { params: { path: { id: args.id } } })), "reading the job");
  await writeResult(api, job, args.format, args.quiet);
}
