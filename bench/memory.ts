/**
 * Peak memory of each path the server takes on a big input, measured in Node, each
 * measurement in a fresh `node --expose-gc` child (bench/memory-child.ts) so no run
 * inherits another's garbage. `npm run bench:memory` prints a table with, for each input,
 * either its peak beside the budget or the limit that refuses it, and writes the
 * "## Memory" section of docs/bench.md. Inputs are generated (bench/memory-inputs.ts) and
 * cached in the temp dir.
 *
 * The verdict is taken with V8's heap sized as for a 128 MiB isolate (old generation limit
 * 128 MiB, 1 MiB semi-spaces); each path is also run with Node's default heap, for reference.
 *
 * It also measures the upload path (bench/upload-child.ts): a multipart form with a PDF of 10 to
 * 100 MiB streamed through worker/api/multipart.ts into 8 MiB parts, as worker/api/upload.ts
 * does, and writes the "## Upload memory" section.
 *
 * Options: `--sizes 10,30,60` (scan sizes in MiB, beside the one at the part limit),
 * `--upload-sizes 10,30,100`, `--only pdf|upload|hostile` (one of the three sections),
 * `--parser path/to/module.ts` (repeatable: another parser with the interface of
 * worker/api/multipart.ts, measured beside ours; rows only, not written), `--no-write` (leave
 * docs/bench.md alone), `--no-default-heap` (skip the reference runs on Node's default heap).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { allowedText, TEXT_LIMITS } from "../worker/pipeline";
import { DECODE_LIMITS } from "../worker/pipeline/decode-guard";
import { MAX_PAGE_TEXT_ITEMS } from "../worker/pipeline/extract";
import { bookOf, CACHE_DIR, fileMiB, hostile, type HostileName, illustratedBook, parts, scan, scanUpTo, textBook } from "./memory-inputs";
import { writeSection } from "./doc";
import { uploadSection } from "./upload-memory";
import { bundleChild } from "./worker-bundle";
import { CORPUS } from "../test/unit/corpus";

/** A Worker isolate has 128 MB; the budget leaves a quarter for the rest of the request. */
const BUDGET_MIB = 96;
const ISOLATE_MIB = 128;
/**
 * V8 sized for a heap of ISOLATE_MIB: what an embedder gets from
 * ResourceConstraints::ConfigureDefaultsFromHeapSize — the old generation is the heap, and
 * the semi-spaces are old / 256, at least 1 MiB on 64-bit (V8's Heap::YoungGenerationSize…).
 */
const ISOLATE_FLAGS = [`--max-old-space-size=${ISOLATE_MIB}`, "--max-semi-space-size=1"];
const CHILD_TIMEOUT_MS = 300_000;
/** Runs of each measurement under the isolate-sized heap; the worst one is reported. */
const REPEATS = 3;
/** The largest PDF the server opens (worker/jobs/part-limits.ts): wrangler.toml's, or its default. */
const DEFAULT_MAX_PART_BYTES = 25_165_824;
const DEFAULT_MAX_UPLOAD_BYTES = 268_435_456;
const MIB = 1024 * 1024;

const args = process.argv.slice(2);
const sizesArg = args.indexOf("--sizes");
const SIZES = sizesArg >= 0 ? args[sizesArg + 1]!.split(",").map(Number) : [10, 20, 30, 60, 100, 200];
const WRITE = !args.includes("--no-write");
const DEFAULT_HEAP = !args.includes("--no-default-heap");
const onlyArg = args.indexOf("--only");
const ONLY = onlyArg >= 0 ? args[onlyArg + 1] : undefined;
if (ONLY !== undefined && ONLY !== "pdf" && ONLY !== "upload" && ONLY !== "hostile") throw new Error("--only takes pdf, upload or hostile");
const uploadSizesArg = args.indexOf("--upload-sizes");
const UPLOAD_SIZES = uploadSizesArg >= 0 ? args[uploadSizesArg + 1]!.split(",").map(Number) : [10, 30, 100];
const PARSERS = args.flatMap((a, i) => (a === "--parser" ? [args[i + 1]!] : []));

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, "memory-child.ts");
const TSX = import.meta.resolve("tsx");
/** What a child holds before it reads its input (the docs say so beside each baseline). */
const BASELINE_IS =
  "Node and the whole API Worker, bundled and minified as `wrangler deploy` builds it (bench/worker-bundle.ts) and evaluated as an isolate evaluates it before its first request (the French lexicon and tagger model in its source, made strings only when first used)";
/** The child, bundled with the whole API Worker as wrangler builds it (built once, before the first measurement). */
let childBundle: string | undefined;

type Mode = "plan" | "tagged" | "scan" | "split" | "parts";

interface Result {
  mode: Mode;
  pages: number;
  outcome: string;
  seconds: number;
  peakHeapExternalMiB: number;
  heapAtPeakMiB: number;
  externalAtPeakMiB: number;
  peakExternalMiB: number;
  peakRssMiB: number;
  baselineMiB: number;
  samples: number;
  /** The largest heap V8 reported at the start of a GC (its trace): peaks inside synchronous code. */
  gcPeakHeapMiB: number;
}

interface Row {
  input: string;
  sizeMiB: number;
  pages: number | string;
  label: string;
  /** Measured under the isolate-sized heap; absent when a limit refuses the input first. */
  r?: Result;
  /** The same path with Node's default heap, for reference. */
  ref?: Result;
  /** Measured with buffers left to the GC instead of released: the reference for `release`. */
  kept?: boolean;
  refused?: string;
}

const PATHS: Record<Mode, string> = {
  plan: "`planDocument` (bytes handed over), chunks to JSON",
  tagged:
    "`planDocument` as above, in an isolate that has tagged the corpus's ~4,600 UD sentences first (the local engine and sentence facts: a chunk consumer's work), lexicon and tagger loaded, caches full",
  parts: "`planParts`: each part read in turn, `planPages`, chunks to JSON (a scan: then `pageRanges` part by part)",
  scan: "`planDocument`, then `pageRanges` (4 pages)",
  split: "`pageRanges` (4 pages)",
};

/** A byte limit from wrangler.toml's [vars] (the first, the local one), else its default. */
function tomlBytes(name: string, fallback: number): { bytes: number; from: string } {
  const toml = readFileSync(path.join(here, "../wrangler.toml"), "utf8");
  const m = new RegExp(`^${name}\\s*=\\s*"(\\d+)"`, "m").exec(toml);
  return m ? { bytes: Number(m[1]), from: "wrangler.toml" } : { bytes: fallback, from: "its default" };
}
const maxPartBytes = () => tomlBytes("MAX_PART_BYTES", DEFAULT_MAX_PART_BYTES);

// `[pid:0x…]   515 ms: Scavenge 15.4 (20.5) -> 13.5 (30.7) MB, …` (V8's MB is MiB)
const GC_LINE = /: (?:Scavenge|Mark-Compact|Mark-Sweep|Minor Mark-Sweep)\S*(?: \([^)]*\))? ([\d.]+) \([\d.]+\) -> [\d.]+ \([\d.]+\) MB/;

/** `keep`: the child runs with buffers left to the GC instead of released (the reference). */
function measure(mode: Mode, files: string[], flags: string[], keep = false): Result {
  if (!childBundle) throw new Error("the child is not built yet (bundleChild)");
  const run = spawnSync(process.execPath, [...flags, "--trace-gc", "--expose-gc", childBundle, mode, ...files], {
    env: { ...process.env, FNT_BENCH_CORPUS: path.join(CORPUS, "lemmas"), ...(keep ? { FNT_BENCH_KEEP_BUFFERS: "1" } : {}) },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: CHILD_TIMEOUT_MS,
    maxBuffer: 1 << 28,
  });
  const out = run.stdout ?? "";
  const line = out.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) {
    const oom = /heap out of memory|Allocation failed/i.test(`${out}${run.stderr}`) || run.status === 134 || run.signal === "SIGABRT";
    if (oom) {
      return {
        mode,
        pages: 0,
        outcome: "**out of memory**",
        seconds: NaN,
        peakHeapExternalMiB: NaN,
        heapAtPeakMiB: NaN,
        externalAtPeakMiB: NaN,
        peakExternalMiB: NaN,
        peakRssMiB: NaN,
        baselineMiB: 0,
        samples: 0,
        gcPeakHeapMiB: NaN,
      };
    }
    const why = run.error ? String(run.error) : `exit ${run.status ?? run.signal}`;
    throw new Error(`measurement ${mode} ${files.join(" ")} failed: ${why}\n${(run.stderr ?? "").slice(-2000)}`);
  }
  let gcPeak = 0;
  const afterInput = out.slice(out.indexOf("INPUT\n"));
  for (const l of afterInput.split("\n")) {
    const m = GC_LINE.exec(l);
    if (m) gcPeak = Math.max(gcPeak, Number(m[1]));
  }
  return { ...(JSON.parse(line.slice("RESULT ".length)) as Omit<Result, "gcPeakHeapMiB">), gcPeakHeapMiB: gcPeak };
}

/**
 * The peak that counts: the sampled one, or — when V8 saw a bigger heap at the start of a GC,
 * inside code the sampler could not interrupt — that heap plus the largest external seen.
 */
const peakOf = (r: Result) => Math.max(r.peakHeapExternalMiB, r.gcPeakHeapMiB + r.peakExternalMiB);

async function pdfPaths(): Promise<string> {
  const part = maxPartBytes();
  const partMiB = part.bytes / MIB;
  const rows: Row[] = [];
  const run = (input: string, file: string | string[], mode: Mode, pages?: number, kept = false) => {
    const files = typeof file === "string" ? [file] : file;
    process.stderr.write(`measuring ${mode} on ${input}…\n`);
    // GC timing moves the peak by several MiB from run to run: the worst of a few runs counts.
    const tries = Array.from({ length: REPEATS }, () => measure(mode, files, ISOLATE_FLAGS, kept));
    const r = tries.reduce((a, b) => (peakOf(b) > peakOf(a) ? b : a));
    const ref = DEFAULT_HEAP ? measure(mode, files, [], kept) : undefined;
    const sizeMiB = files.reduce((sum, f) => sum + fileMiB(f), 0);
    const label = kept ? `${PATHS[mode]}; **buffers left to the GC, not released** (reference)` : PATHS[mode];
    rows.push({ input, sizeMiB, pages: pages ?? r.pages, label, r, ref, kept });
    process.stderr.write(
      `  peak ${tries.map((t) => peakOf(t).toFixed(1)).join(", ")} MiB (default heap ${ref ? peakOf(ref).toFixed(1) : "—"}), ${r.seconds} s, ${r.outcome}\n`,
    );
  };
  const { maxPages, maxTextChars } = TEXT_LIMITS;
  const pages = (p: number) => `${p.toLocaleString("en-US")} pages`;

  // Text: the 1,000-page book, the page limit, and past it.
  run(`text book, ${pages(1000)}`, await textBook(1000), "plan", 1000);
  run(`text book, ${pages(maxPages)} (the page limit)`, await textBook(maxPages), "plan", maxPages);
  run(`text book, ${pages(maxPages)}, in an isolate that has tagged text first`, await textBook(maxPages), "tagged", maxPages);
  run(`text book, ${pages(maxPages + 500)}`, await textBook(maxPages + 500), "plan", maxPages + 500);
  // A book of text as big as a part may be: its bytes leave room for fewer pages.
  const bigMiB = Math.floor(partMiB) - 0.5;
  // A generated file comes within a fraction of a MiB of its size: the pages allowed a little above it.
  const fit = allowedText(TEXT_LIMITS, (bigMiB + 0.25) * MIB).pages;
  run(`illustrated book, ${pages(fit)} in ${bigMiB} MiB (the pages that size allows)`, await illustratedBook(fit, bigMiB), "plan", fit);
  run(`illustrated book, ${pages(1000)} in ${bigMiB} MiB`, await illustratedBook(1000, bigMiB), "plan", 1000);
  // Books in parts: every part's pages are held until the book is planned.
  run(`the same, sent in 4 parts`, await parts(await illustratedBook(1000, bigMiB), 4), "parts", 1000);
  const fit2 = fit;
  run(
    `illustrated book, ${pages(fit2)} in 2 parts of ~${bigMiB} MiB`,
    await parts(await illustratedBook(fit2, 2 * bigMiB), 2),
    "parts",
    fit2,
  );
  run(`scan in 2 parts at the part limit`, await parts(await scanUpTo(2 * part.bytes), 2), "parts");
  run(`scan in 3 parts at the part limit`, await parts(await scanUpTo(3 * part.bytes), 3), "parts");
  // The most one job may send (MAX_UPLOAD_BYTES) in parts at the part limit, and the same with
  // every dead buffer left to V8's GC: what releasing them (worker/pipeline/release.ts) saves.
  const job = tomlBytes("MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES);
  const most = Math.floor(job.bytes / part.bytes);
  const whole = `scan in ${most} parts at the part limit (a whole job: MAX_UPLOAD_BYTES ${(job.bytes / MIB).toFixed(0)} MiB)`;
  const wholeParts = await parts(await scanUpTo(most * part.bytes), most);
  run(whole, wholeParts, "parts");
  run(`the same`, wholeParts, "parts", undefined, true);

  const scans: Array<{ input: string; file: string } | { input: string; mib: number }> = [];
  for (const mib of SIZES.filter((s) => s * MIB < part.bytes)) scans.push({ input: `scan, ${mib} MiB`, file: await scan(mib) });
  scans.push({ input: `scan at the part limit (${partMiB.toFixed(0)} MiB)`, file: await scanUpTo(part.bytes) });
  for (const mib of SIZES.filter((s) => s * MIB >= part.bytes)) scans.push({ input: `scan, ${mib} MiB`, mib });
  for (const s of scans) {
    if ("file" in s) {
      run(s.input, s.file, "scan");
      run(s.input, s.file, "split");
    } else {
      // Never attempted: the upload of a part over the limit is refused (413) before it is stored.
      rows.push({
        input: s.input,
        sizeMiB: s.mib,
        pages: "—",
        label: "upload",
        refused: `refused by limit (MAX_PART_BYTES, ${partMiB.toFixed(0)} MiB)`,
      });
    }
  }

  const n = (v: number | undefined, d = 1) => (v !== undefined && Number.isFinite(v) ? v.toFixed(d) : "—");
  const verdict = (row: Row) => {
    if (row.refused) return row.refused;
    const r = row.r!;
    if (r.outcome.startsWith("refused: too_many_pages")) return "refused by limit (`TEXT_LIMITS`: pages), before any page is read";
    if (r.outcome.startsWith("refused: too_much_text")) return "refused by limit (`TEXT_LIMITS`: characters)";
    if (Number.isNaN(r.peakHeapExternalMiB)) return "**no** (out of memory)";
    if (row.kept) return peakOf(r) <= BUDGET_MIB ? "within budget (reference)" : "over (reference: not what the server runs)";
    return peakOf(r) <= BUDGET_MIB ? "within budget" : "**no**";
  };
  const table = [
    `| input | size MiB | pages | path | outcome | peak heap+external MiB (worst of ${REPEATS}) | of which heap / external (sampled) | largest heap at a GC MiB | peak RSS MiB | time s | Node default heap: peak MiB | ${BUDGET_MIB} MiB budget |`,
    "|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---|",
    ...rows.map((row) => {
      const r = row.r;
      if (!r) return `| ${row.input} | ${n(row.sizeMiB)} | — | ${row.label} | not attempted | — | — | — | — | — | — | ${verdict(row)} |`;
      return (
        `| ${row.input} | ${n(row.sizeMiB)} | ${row.pages} | ${row.label} | ${r.outcome} | ${n(peakOf(r))} | ` +
        `${n(r.heapAtPeakMiB)} / ${n(r.externalAtPeakMiB)} | ${n(r.gcPeakHeapMiB)} | ${n(r.peakRssMiB)} | ${n(r.seconds, 2)} | ${row.ref ? n(peakOf(row.ref)) : "—"} | ${verdict(row)} |`
      );
    }),
  ].join("\n");
  const measured = rows.filter((r) => r.r && !r.kept);
  const baseline = Math.max(...measured.map((r) => r.r!.baselineMiB));
  const atLimit = (pred: (r: Row) => boolean) => {
    const found = measured.filter(pred);
    return found.length ? `${n(Math.max(...found.map((r) => peakOf(r.r!))))} MiB` : "not measured";
  };
  // The largest scan within budget on its worst path, between the two measured sizes around it.
  const isScan = (r: Row) => r.r!.mode === "scan" || r.r!.mode === "split";
  const scanWorst = [...new Set(measured.filter(isScan).map((r) => r.sizeMiB))]
    .map((size) => ({ size, peak: Math.max(...measured.filter((r) => r.sizeMiB === size && isScan(r)).map((r) => peakOf(r.r!))) }))
    .sort((a, b) => a.size - b.size);
  const over = scanWorst.findIndex((p) => p.peak > BUDGET_MIB);
  const scanFit =
    over === -1
      ? `every scan measured up to the limit is within budget`
      : over === 0
        ? `already over budget at ${n(scanWorst[0]!.size, 0)} MiB`
        : (() => {
            const [a, b] = [scanWorst[over - 1]!, scanWorst[over]!];
            const size = a.size + ((BUDGET_MIB - a.peak) * (b.size - a.size)) / (b.peak - a.peak);
            return `**over budget**: the largest scan within it is ≈ ${n(size, 0)} MiB (interpolated between ${n(a.size, 0)} MiB at ${n(a.peak)} MiB and ${n(b.size, 0)} MiB at ${n(b.peak)} MiB), so MAX_PART_BYTES should be at most that`;
          })();
  const overBudget = measured.filter((r) => verdict(r).startsWith("**no**"));
  const limits = [
    `- A PDF (a whole book, or one part of a book sent in parts) of at most MAX_PART_BYTES (${part.bytes.toLocaleString("en-US")} bytes = ${partMiB.toFixed(0)} MiB, ${part.from}); ` +
      "a bigger one is refused before any PDF reader opens it: at upload (413 `too_large`), or when a file stored earlier is planned (job `failed`, `too_large`). " +
      `A scan at that size peaks at ${atLimit((r) => r.input.startsWith("scan at the part limit"))} on its worst path: ${scanFit}.`,
    `- A book of at most ${maxPages.toLocaleString("en-US")} pages and ${maxTextChars.toLocaleString("en-US")} characters of text, fewer while a big PDF is read: ` +
      `the pages allowed are min(${maxPages.toLocaleString("en-US")}, ${TEXT_LIMITS.pageBudget.toLocaleString("en-US")} − ${TEXT_LIMITS.pagesPerFileMiB} × the MiB of the PDF being read), the characters in proportion ` +
      `(\`TEXT_LIMITS\`, worker/pipeline/extract.ts; ${allowedText(TEXT_LIMITS, part.bytes).pages} pages for a PDF at the part limit). ` +
      "A book sent in parts counts as a whole (every page of a job is held until it is cut into chunks), each part's reading against its own size. " +
      "The plan step refuses a bigger one (`too_many_pages` before reading a page, `too_much_text` as soon as the pages read pass it). " +
      `At the page limit the plan peaks at ${atLimit((r) => r.input.includes("(the page limit)"))}; at the part limit with the pages it allows, ${atLimit((r) => r.input.includes("(the pages that size allows)"))}; ` +
      `the 1,000-page book at ${atLimit((r) => r.input === "text book, 1,000 pages")}; books in parts at ${atLimit((r) => r.r!.mode === "parts" && !r.r!.outcome.startsWith("refused"))} at most.`,
  ];
  const keptRow = rows.find((r) => r.kept && r.r);
  const releasedRow = rows.find((r) => r.input === whole && r.r);
  const released =
    "A book in parts is read part after part, each by pdf.js (a scan's parts then again by pdf-lib, range by range). " +
    "V8 frees a dead ArrayBuffer only at a garbage collection, and collects external memory only once some tens of MiB of it have piled up, so the dead parts and ranges of a big book would pile up beside the live one. " +
    "The server releases (detaches) each part's bytes and each stored range as soon as it is done with them (`release`, worker/pipeline/release.ts)" +
    (keptRow && releasedRow
      ? `: the whole job of ${most} scan parts peaks at ${n(peakOf(releasedRow.r!))} MiB so, ${n(peakOf(keptRow.r!))} MiB with the same buffers left to the GC (${n(peakOf(keptRow.r!) / peakOf(releasedRow.r!), 2)}× in this run), ` +
        "and a book's peak no longer grows with its number of parts. pdf.js's own copy of a part cannot be reached to release it: that is the garbage still counted."
      : ".");
  const date = new Date().toISOString().slice(0, 10);
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";

  const section = [
    "## Memory",
    "",
    `Generated by \`npm run bench:memory\` (${date}), Node ${process.version} on ${cpu}. Each row is one fresh ` +
      "`node` process running the same pipeline code the Worker runs, the path the plan consumer takes, on generated inputs: text books " +
      `(pdf-lib, ~2,270 characters of French-like text a page, running header and page number), the same with a picture of noise on every page to make a file as big as a part (an illustrated edition), ` +
      "scans whose pages are each one 724×724 grey PNG of random noise (0.5 MiB a page, so nothing compresses away), and books cut into parts as a client sends them. " +
      "`process.memoryUsage()` is sampled every ~5 ms and after every page or range; the peak of heap used + external " +
      `(external includes ArrayBuffers: the input bytes and the buffers of pdf.js and pdf-lib) is what counts against a Worker isolate's ${ISOLATE_MIB} MB. ` +
      "A timer cannot fire inside a long synchronous call, so V8's GC trace is read too: the largest heap it reports at the start of a GC, plus the largest external, replaces the sampled peak when bigger. " +
      `Each peak includes what the process held before reading the input (at most ${n(baseline)} MiB): ${BASELINE_IS}. No GC is forced.`,
    "",
    `The verdict is taken on the worst of ${REPEATS} runs (GC timing moves a peak by several MiB), with V8's heap sized as for a ${ISOLATE_MIB} MiB isolate (\`${ISOLATE_FLAGS.join(" ")}\`: the semi-spaces V8 derives for a heap that size). ` +
      "Node's default heap on this machine is sized for 4 GiB: its young generation grows to 64 MiB and the old generation is first collected at 256 MiB, so the default-heap peak (the column before the verdict, for reference) is mostly garbage V8 had no reason to collect yet, not memory the path needs. " +
      "These are Node measurements of the same code, not workerd ones: `wrangler dev` does not enforce the 128 MB limit locally. " +
      `The budget is ${BUDGET_MIB} MiB, leaving a quarter of the isolate for the rest of the request.`,
    "",
    table,
    "",
    "What the server takes, so that the paths it runs stay within the budget:",
    "",
    ...limits,
    "",
    overBudget.length === 0
      ? "Every path the server runs is within the budget under these limits."
      : `**Over the budget under these limits** (worst of ${REPEATS} runs): ${overBudget.map((r) => `${r.input} (${n(peakOf(r.r!))} MiB)`).join("; ")}.`,
    "",
    released,
    "",
    "`npm run bench` keeps this section and the next when it rewrites the file.",
    "",
  ].join("\n");

  process.stdout.write(`\n${table}\n\n${limits.join("\n")}\n`);
  process.stderr.write(`inputs cached in ${CACHE_DIR}\n`);
  return section;
}

/**
 * Hostile PDFs (issue 22): small files whose streams inflate to gigabytes, or whose page holds a
 * million text items, through the plan consumer's path; each must be refused within the budget.
 * Writes the "## Memory: hostile PDFs" section.
 */
const signed = (d: number) => (d >= 0 ? `+${d.toFixed(1)}` : d.toFixed(1));

async function hostileSection(): Promise<string> {
  const inputs: Array<{ name: HostileName; input: string; mode?: Mode }> = [
    { name: "bomb", input: "a page whose content stream is 10 MiB of FlateDecode inflating to 10 GiB of zeros" },
    { name: "chained-bomb", input: "the same 10 GiB inside a second FlateDecode (`[/FlateDecode /FlateDecode]`)" },
    {
      name: "tounicode-bomb",
      input: "a page whose font's ToUnicode CMap inflates to 1 GiB (pdf.js decodes it through DecompressionStream)",
    },
    {
      name: "objstm-bomb",
      input:
        "an object stream nothing refers to, inflating to 10 GiB, cut into page ranges as a scan is (`pageRanges`: pdf-lib decodes every object stream)",
      mode: "split",
    },
    {
      name: "million-items",
      input: "a page drawing 1,000,000 one-letter strings (a form XObject of 1,500 lines of `(a)'` drawn 667 times)",
    },
    { name: "book-then-bomb", input: "the longest text book its size allows, then a page holding the chained 10 GiB bomb" },
    { name: "book-then-items", input: "the longest text book its size allows, then the million-item page" },
  ];
  const rows: string[] = [];
  let worst = 0;
  let baseline = 0;
  const peaks = new Map<string, number>();
  const measured: Array<{ name: HostileName | "reference"; input: string; file: string; mode?: Mode }> = [];
  for (const { name, input, mode } of inputs) measured.push({ name, input, file: await hostile(name), mode });
  // The book the last row begins with, without its last page: what it costs alone.
  measured.push({
    name: "reference",
    input: "reference: that text book alone, without the hostile page",
    file: await bookOf("book-then-items"),
  });
  for (const { name, input, file, mode = "plan" } of measured) {
    process.stderr.write(`measuring ${mode} on hostile ${name}…\n`);
    const tries = Array.from({ length: REPEATS }, () => measure(mode, [file], ISOLATE_FLAGS));
    const r = tries.reduce((a, b) => (peakOf(b) > peakOf(a) ? b : a));
    const peak = peakOf(r);
    if (!name.startsWith("book-then") && name !== "reference") worst = Math.max(worst, peak);
    peaks.set(name, peak);
    baseline = Math.max(baseline, r.baselineMiB);
    process.stderr.write(`  peak ${tries.map((t) => peakOf(t).toFixed(1)).join(", ")} MiB, ${r.seconds} s, ${r.outcome}\n`);
    const ok = r.outcome.startsWith("refused: pdf_stream_too_large") || r.outcome.startsWith("refused: too_many_text_items");
    const within = peak <= BUDGET_MIB ? "within budget" : "**over budget**";
    const verdict = Number.isNaN(peak)
      ? "**no** (out of memory)"
      : name === "reference"
        ? `${within} (reference)`
        : !ok
          ? "**not refused**"
          : `refused, ${within}`;
    rows.push(
      `| ${input} | ${(fileMiB(file) * 1024).toFixed(0)} | ${r.pages} | ${r.outcome} | ${peak.toFixed(1)} | ${r.heapAtPeakMiB.toFixed(1)} / ${r.externalAtPeakMiB.toFixed(1)} | ${r.seconds.toFixed(2)} | ${verdict} |`,
    );
  }
  const date = new Date().toISOString().slice(0, 10);
  const mib = (b: number) => `${b / MIB} MiB`;
  return [
    "## Memory: hostile PDFs",
    "",
    `Generated by \`npm run bench:memory -- --only hostile\` (${date}), Node ${process.version} on ${os.cpus()[0]?.model ?? "unknown CPU"}, measured as in "Memory" above (a fresh process each, the plan consumer's path — \`planDocument\`, or \`pageRanges\` where a row says so —, V8 sized for a ${ISOLATE_MIB} MiB isolate, worst of ${REPEATS}). ` +
      "The files are made by test/fixtures/hostile-pdf.ts (bench/memory-inputs.ts): a zlib bomb is written without inflating anything (zlib's output for a run of zeros, full-flushed, is the same bytes every time), so 10 GiB of zeros take 10 MiB, or 25 KiB deflated once more. " +
      `pdf.js decodes each stream into one buffer holding all of it; scripts/patch-pdfjs.mjs (run at install) makes it ask worker/pipeline/decode-guard.ts before it allocates decoded bytes, which refuses past ${mib(DECODE_LIMITS.maxStreamBytes)} for one stream or ${mib(DECODE_LIMITS.maxPageBytes)} for all the streams of one page (\`DECODE_LIMITS\`): the job fails \`pdf_stream_too_large\`. ` +
      `A page's text is read as pdf.js streams it and refused past ${MAX_PAGE_TEXT_ITEMS.toLocaleString("en-US")} text items (\`MAX_PAGE_TEXT_ITEMS\`, worker/pipeline/extract.ts): \`too_many_text_items\`. ` +
      "The corpus novels decode at most 8 KiB in one stream and 16 KiB for one page.",
    "",
    `| input | KiB | pages read | outcome | peak heap+external MiB (worst of ${REPEATS}) | of which heap / external (sampled) | time s | ${BUDGET_MIB} MiB budget |`,
    "|---|---:|---:|---|---:|---:|---:|---|",
    ...rows,
    "",
    `A hostile file alone peaks at ${worst.toFixed(1)} MiB at most, within the ${BUDGET_MIB} MiB budget. ` +
      `Met at the end of the longest book its size allows, the bomb's page peaks ${signed((peaks.get("book-then-bomb") ?? NaN) - (peaks.get("reference") ?? NaN))} MiB and the million items' ${signed((peaks.get("book-then-items") ?? NaN) - (peaks.get("reference") ?? NaN))} MiB beside the same book without them (the reference row): no more than GC timing moves a peak. ` +
      ((peaks.get("reference") ?? NaN) <= BUDGET_MIB
        ? `That book is within the budget by itself too. Each peak includes what the process held before it read the input (up to ${baseline.toFixed(1)} MiB): ${BASELINE_IS}.`
        : `But that book is over the budget by itself: each peak includes what the process held before it read the input, here up to ${baseline.toFixed(1)} MiB (${BASELINE_IS}).`),
    "",
  ].join("\n");
}

async function main() {
  if (ONLY !== "upload") childBundle = await bundleChild(CHILD);
  if (ONLY === undefined || ONLY === "pdf") {
    const section = await pdfPaths();
    if (WRITE) writeSection("## Memory", section);
  }
  if (ONLY === undefined || ONLY === "hostile") {
    const section = await hostileSection();
    process.stdout.write(`\n${section}\n`);
    if (WRITE) writeSection("## Memory: hostile PDFs", section);
  }
  if (ONLY === undefined || ONLY === "upload") {
    const section = uploadSection({
      sizes: UPLOAD_SIZES,
      parsers: PARSERS,
      budgetMiB: BUDGET_MIB,
      isolateMiB: ISOLATE_MIB,
      timeoutMs: CHILD_TIMEOUT_MS,
      tsx: TSX,
    });
    // Rows of other parsers are for an evaluation, not for the record.
    if (WRITE && PARSERS.length === 0) writeSection("## Upload memory", section);
  }
}

await main();
