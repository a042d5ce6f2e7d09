/**
 * Peak memory of each path the server takes on a big input, measured in Node, each
 * measurement in a fresh `node --expose-gc` child (bench/memory-child.ts) so no run
 * inherits another's garbage. `npm run bench:memory` prints a table, derives the largest
 * scan per path that stays under the budget, and writes the "## Memory" section of
 * docs/bench.md. Inputs are generated (bench/memory-inputs.ts) and cached in the temp dir.
 *
 * It also measures the upload path (bench/upload-child.ts): a multipart form with a PDF of 10 to
 * 100 MiB streamed through worker/api/multipart.ts into 8 MiB parts, as worker/api/upload.ts
 * does, and writes the "## Upload memory" section.
 *
 * Options: `--sizes 10,30,60` (scan sizes in MiB), `--upload-sizes 10,30,100`, `--only pdf|upload`
 * (one of the two sections), `--parser path/to/module.ts` (repeatable: another parser with the
 * interface of worker/api/multipart.ts, measured beside ours; rows only, not written), `--no-write`
 * (leave docs/bench.md alone).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CACHE_DIR, fileMiB, scan, textBook } from "./memory-inputs";
import { uploadSection } from "./upload-memory";

/** A Worker isolate has 128 MB; the budget leaves a quarter for the rest of the request. */
const BUDGET_MIB = 96;
const ISOLATE_MIB = 128;
const CHILD_TIMEOUT_MS = 240_000;
const CAPPED_OLD_SPACE_MIB = 96;

const args = process.argv.slice(2);
const sizesArg = args.indexOf("--sizes");
const SIZES = sizesArg >= 0 ? args[sizesArg + 1]!.split(",").map(Number) : [10, 30, 60, 100, 200];
const WRITE = !args.includes("--no-write");
const onlyArg = args.indexOf("--only");
const ONLY = onlyArg >= 0 ? args[onlyArg + 1] : undefined;
if (ONLY !== undefined && ONLY !== "pdf" && ONLY !== "upload") throw new Error("--only takes pdf or upload");
const uploadSizesArg = args.indexOf("--upload-sizes");
const UPLOAD_SIZES = uploadSizesArg >= 0 ? args[uploadSizesArg + 1]!.split(",").map(Number) : [10, 30, 100];
const PARSERS = args.flatMap((a, i) => (a === "--parser" ? [args[i + 1]!] : []));

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, "memory-child.ts");
const TSX = import.meta.resolve("tsx");

interface Result {
  mode: "plan" | "split";
  pages: number;
  outcome: string;
  seconds: number;
  peakHeapExternalMiB: number;
  heapAtPeakMiB: number;
  externalAtPeakMiB: number;
  peakRssMiB: number;
  baselineMiB: number;
  samples: number;
}

interface Row extends Result {
  input: string;
  kind: "text" | "scan";
  sizeMiB: number;
  label: string;
}

const PATHS = { plan: "`planDocument`", split: "`pageRanges` (4 pages)" } as const;

function measure(mode: Result["mode"], file: string, flags: string[] = []): Result {
  const run = spawnSync(process.execPath, [...flags, "--expose-gc", "--import", TSX, CHILD, mode, file], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", flags.length > 0 ? "pipe" : "inherit"],
    timeout: CHILD_TIMEOUT_MS,
    maxBuffer: 1 << 24,
  });
  const line = run.stdout?.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line && flags.length > 0) {
    // Under a heap cap, running out of heap is a result, not a failure of the bench.
    const oom = /heap out of memory|Allocation failed/i.test(run.stderr ?? "") || run.status === 134 || run.signal === "SIGABRT";
    if (oom) return { mode, pages: 0, outcome: "**out of memory**", seconds: NaN, peakHeapExternalMiB: NaN, heapAtPeakMiB: NaN, externalAtPeakMiB: NaN, peakRssMiB: NaN, baselineMiB: 0, samples: 0 };
  }
  if (!line) {
    const why = run.error ? String(run.error) : `exit ${run.status ?? run.signal}`;
    throw new Error(`measurement ${mode} ${file} failed: ${why}`);
  }
  return JSON.parse(line.slice("RESULT ".length)) as Result;
}

/** The size at which `peak` crosses the budget, by linear interpolation between measured sizes. */
function safeLimit(rows: Row[]): string {
  const pts = [...rows].sort((a, b) => a.sizeMiB - b.sizeMiB);
  const over = pts.findIndex((r) => r.peakHeapExternalMiB > BUDGET_MIB);
  if (over === -1) return `≥ ${pts.at(-1)!.sizeMiB.toFixed(0)} MiB (every measured size is within budget; not extrapolated)`;
  if (over === 0) return `< ${pts[0]!.sizeMiB.toFixed(0)} MiB (already over budget at the smallest measured size)`;
  const [a, b] = [pts[over - 1]!, pts[over]!];
  const size = a.sizeMiB + ((BUDGET_MIB - a.peakHeapExternalMiB) * (b.sizeMiB - a.sizeMiB)) / (b.peakHeapExternalMiB - a.peakHeapExternalMiB);
  return `≈ ${size.toFixed(0)} MiB (interpolated between ${a.sizeMiB.toFixed(0)} MiB at ${a.peakHeapExternalMiB.toFixed(0)} MiB and ${b.sizeMiB.toFixed(0)} MiB at ${b.peakHeapExternalMiB.toFixed(0)} MiB)`;
}

/** Replaces the section that starts with `heading` (up to the next "## "), or appends it. */
function writeSection(heading: string, section: string): void {
  const docPath = path.join(process.cwd(), "docs/bench.md");
  const doc = existsSync(docPath) ? readFileSync(docPath, "utf8") : "# Benchmarks\n";
  const start = doc.search(new RegExp(`^${heading}$`, "m"));
  let next: string;
  if (start === -1) next = `${doc.trimEnd()}\n\n${section}`;
  else {
    const after = doc.slice(start + 1).search(/^## /m);
    const rest = after === -1 ? "" : `\n${doc.slice(start + 1 + after)}`;
    next = `${doc.slice(0, start)}${section}${rest}`;
  }
  writeFileSync(docPath, next);
  process.stderr.write(`written to docs/bench.md (${heading})\n`);
}

async function pdfPaths(): Promise<string> {
  const rows: Row[] = [];
  const run = (input: string, kind: Row["kind"], file: string, mode: Result["mode"], flags: string[] = [], note = "") => {
    process.stderr.write(`measuring ${mode} on ${input} ${flags.join(" ")}…\n`);
    const r = measure(mode, file, flags);
    rows.push({ ...r, input, kind, sizeMiB: fileMiB(file), label: `${PATHS[mode]}${note}` });
    process.stderr.write(`  peak heap+external ${r.peakHeapExternalMiB} MiB, rss ${r.peakRssMiB} MiB, ${r.seconds} s, ${r.outcome}\n`);
  };

  const book = await textBook(1000);
  run("text book, 1,000 pages", "text", book, "plan");
  // heapUsed counts garbage not yet collected. With V8's old space capped, V8 must collect
  // it: finishing under the cap shows how much of the peak is live.
  run("text book, 1,000 pages", "text", book, "plan", [`--max-old-space-size=${CAPPED_OLD_SPACE_MIB}`], `, V8 old space capped at ${CAPPED_OLD_SPACE_MIB} MiB`);
  for (const mib of SIZES) {
    const file = await scan(mib);
    for (const mode of ["plan", "split"] as const) run(`scan, ${mib} MiB`, "scan", file, mode);
  }

  const n = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : "—");
  const table = [
    "| input | size MiB | pages | path | outcome | peak heap+external MiB | of which heap / external | peak RSS MiB | time s | within 96 MB budget |",
    "|---|---:|---:|---|---|---:|---:|---:|---:|---|",
    ...rows.map(
      (r) =>
        `| ${r.input} | ${n(r.sizeMiB)} | ${r.pages} | ${r.label} | ${r.outcome} | ${n(r.peakHeapExternalMiB)} | ` +
        `${n(r.heapAtPeakMiB)} / ${n(r.externalAtPeakMiB)} | ${n(r.peakRssMiB)} | ${n(r.seconds, 2)} | ${Number.isNaN(r.peakHeapExternalMiB) ? "—" : r.peakHeapExternalMiB <= BUDGET_MIB ? "yes" : "**no**"} |`,
    ),
  ].join("\n");
  const limits = (["plan", "split"] as const).map((mode) => `- ${PATHS[mode]} on a scan: ${safeLimit(rows.filter((r) => r.kind === "scan" && r.mode === mode))}`);
  const baseline = Math.max(...rows.map((r) => r.baselineMiB));
  const date = new Date().toISOString().slice(0, 10);
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";

  const section = [
    "## Memory",
    "",
    `Generated by \`npm run bench:memory\` (${date}), Node ${process.version} on ${cpu}. Each row is one fresh ` +
      "`node --expose-gc` process running the same pipeline code the Worker runs, on generated inputs: a 1,000-page text book " +
      `(pdf-lib, ~2,000 characters of French-like text a page, running header and page number) and scans whose pages are each one 724×724 grey PNG of random noise (0.5 MiB a page, so nothing compresses away). ` +
      "`process.memoryUsage()` is sampled every ~5 ms and after every page or range; the peak of heap used + external " +
      `(external includes ArrayBuffers: the input bytes and the buffers of pdf.js and pdf-lib) is what counts against a Worker isolate's ${ISOLATE_MIB} MB. ` +
      `It includes what the process held before reading the input (at most ${n(baseline)} MiB: Node, tsx and the pipeline's modules). ` +
      "A timer cannot fire inside a long synchronous call, so these are sampled peaks, a lower bound of the true peak.",
    "",
    "These are Node measurements of the same code, not workerd ones: `wrangler dev` does not enforce the 128 MB limit locally, so Node is where the bound can be measured. " +
      `The budget is ${BUDGET_MIB} MiB, leaving a quarter of the isolate for the rest of the request.`,
    "",
    table,
    "",
    `Measured safe limits (the largest scan that stays within ${BUDGET_MIB} MiB, by linear interpolation between the measured sizes, so an estimate between two measurements):`,
    "",
    ...limits,
    "",
    "The server refuses a PDF (a whole book, or one part of a book sent in parts) over `MAX_PART_BYTES`, 24 MiB by default and under both limits, " +
      "before either path opens it: at upload (413 `too_large`), or when a file stored earlier is planned (job `failed`, `too_large`). " +
      'A bigger book is sent in parts (README, "Big books: limits and parts"). `npm run bench` keeps this section and the next when it rewrites the file.',
    "",
  ].join("\n");

  process.stdout.write(`\n${table}\n\nMeasured safe limits (linear interpolation between measured sizes, ${BUDGET_MIB} MiB budget):\n${limits.join("\n")}\n`);
  process.stderr.write(`inputs cached in ${CACHE_DIR}\n`);
  return section;
}

async function main() {
  if (ONLY !== "upload") {
    const section = await pdfPaths();
    if (WRITE) writeSection("## Memory", section);
  }
  if (ONLY !== "pdf") {
    const section = uploadSection({ sizes: UPLOAD_SIZES, parsers: PARSERS, budgetMiB: BUDGET_MIB, isolateMiB: ISOLATE_MIB, timeoutMs: CHILD_TIMEOUT_MS, tsx: TSX });
    // Rows of other parsers are for an evaluation, not for the record.
    if (WRITE && PARSERS.length === 0) writeSection("## Upload memory", section);
  }
}

await main();
