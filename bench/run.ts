/**
 * Throughput and memory of the pipeline on the full Verne novel, measured not asserted.
 * Every figure comes with a reference measured in the same run on the same input
 * (pdftotext, Intl.Segmenter), so ratios stay comparable across machines.
 * `npm run bench` prints a markdown table and writes docs/bench.md.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEFAULT_SETTINGS, JobSettingsSchema } from "../schema/settings";
import { extractPdf, normalizeChunk, planDocument, type Plan } from "../worker/pipeline";
import { CORPUS } from "../test/unit/corpus";
import { benchCover } from "./cover";
import { fullGc } from "./gc";
import { writeSection } from "./doc";
import { benchGeminiSpeed } from "./gemini-speed";
import { benchStack } from "./stack";
import { learningBench } from "./learning";

const NOVEL = path.join(CORPUS, "novels", "verne-deux-ans-de-vacances.pdf");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const MB = 1024 * 1024;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median wall-clock milliseconds of `RUNS` runs after one untimed warm-up (JIT, caches). */
async function time(fn: () => unknown, warm = false): Promise<number> {
  if (!warm) await fn();
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

let peakHeap = 0;
const sampleHeap = () => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed));
const rssMB = () => process.resourceUsage().maxRSS / 1024;
const heapMB = () => process.memoryUsage().heapUsed / MB;

function pdftotext(): boolean {
  const run = spawnSync("pdftotext", ["-enc", "UTF-8", NOVEL, "-"], { maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "ignore"] });
  return !run.error && run.status === 0;
}

const DOC = path.join(process.cwd(), "docs/bench.md");

function readDoc(): string {
  try {
    return readFileSync(DOC, "utf8");
  } catch {
    return "";
  }
}

/** `--only cover`: the learning-set section alone, put in place of the one docs/bench.md has. */
async function onlyCover() {
  const section = `${await benchCover(RUNS)}\n\n${await learningBench(Math.min(RUNS, 3))}`;
  process.stdout.write(`${section}\n`);
  const previous = readDoc();
  const at = previous.indexOf("\n## Learning sets");
  const next = at >= 0 ? previous.indexOf("\n## ", at + 1) : previous.indexOf("\n## Memory");
  const head = at >= 0 ? previous.slice(0, at) : next >= 0 ? previous.slice(0, next) : previous;
  const tail = next >= 0 ? previous.slice(next) : "";
  writeFileSync(DOC, `${head.trimEnd()}\n\n${section}\n${tail}`);
  process.stderr.write("learning-set section written to docs/bench.md\n");
}

/**
 * Lemmatizing a 1,000-page book (the Verne source, one paragraph a line, repeated to 1,000
 * of its pages) with analyze, against ICU's word segmentation of the same lines; and the JS
 * heap the lexicon and model hold once loaded (the module is imported here, after a full GC).
 */
async function lemmatizeBench(pageCount: number) {
  const source = readFileSync(path.join(CORPUS, "novels", "verne-deux-ans-de-vacances.source.txt"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
  const lines: string[] = [];
  const want = Math.round((source.length * 1000) / pageCount);
  for (let i = 0; i < want; i++) lines.push(source[i % source.length]!);
  // A real collection before each heap reading, so the figures are what is kept, not garbage.
  const gc = fullGc();
  gc();
  const heapBefore = heapMB();
  const t0 = performance.now();
  const lang = await import("../worker/lang");
  lang.analyze("Il était une fois.");
  const loadMs = performance.now() - t0;
  gc();
  const heapLoaded = heapMB();
  let tokens = 0;
  const runs = Math.min(RUNS, 3);
  const ms: number[] = [];
  for (let r = 0; r <= runs; r++) {
    const t = performance.now();
    tokens = 0;
    for (const line of lines) tokens += lang.analyze(line).length;
    if (r > 0) ms.push(performance.now() - t);
  }
  const lemmaMs = median(ms);
  gc();
  const heapAfter = heapMB();
  // Reference: ICU's word segmentation of the same lines (tokens only, no tags or lemmas).
  const words = new Intl.Segmenter("fr", { granularity: "word" });
  let icuTokens = 0;
  const icuMs = await time(() => {
    icuTokens = 0;
    for (const line of lines) for (const s of words.segment(line)) if (s.segment.trim() !== "") icuTokens++;
  });
  return { lines: lines.length, tokens, lemmaMs, icuTokens, icuMs, loadMs, heapBefore, heapLoaded, heapAfter };
}

async function main() {
  const only = process.argv.indexOf("--only");
  if (only >= 0) {
    if (process.argv[only + 1] !== "cover") throw new Error("--only takes: cover");
    return onlyCover();
  }
  const data = new Uint8Array(readFileSync(NOVEL));
  const onPage = () => sampleHeap();
  let plan: Plan | undefined;
  const runPlan = async () => {
    plan = await planDocument(data, { fixHyphenation: true, maxChunkChars: 6000, onPage });
  };

  // Memory first, on one fresh run: repeated runs only measure how lazy the GC is.
  const baseRss = rssMB();
  const baseHeap = heapMB();
  await runPlan();
  const planRss = rssMB();
  const planHeap = peakHeap / MB;

  const planMs = await time(runPlan, true);
  const extractMs = await time(() => extractPdf(data, onPage));
  const hasPdftotext = pdftotext();
  const popplerMs = hasPdftotext ? await time(pdftotext) : NaN;
  const { pageCount, paragraphs, chunks } = plan!;

  const bytes = paragraphs.reduce((n, p) => n + Buffer.byteLength(p.text), 0);
  const split = JobSettingsSchema.parse({ sentence_length_limit: 20, min_sentence_length: 3 });
  const normalize =
    (settings = DEFAULT_SETTINGS) =>
    () => {
      for (const c of chunks) normalizeChunk(c, settings);
      sampleHeap();
    };
  peakHeap = 0;
  const normBaseHeap = heapMB();
  const normMs = await time(normalize());
  const splitMs = await time(normalize(split));
  const intl = new Intl.Segmenter("fr", { granularity: "sentence" });
  const intlMs = await time(() => {
    for (const p of paragraphs) for (const s of intl.segment(p.text)) s.segment.trim();
  });

  const lem = await lemmatizeBench(pageCount);

  const pps = (ms: number) => (pageCount / ms) * 1000;
  const mbps = (ms: number) => bytes / MB / (ms / 1000);
  const x = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : "n/a");
  const n = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : "n/a");
  const rows = [
    [
      "PDF text: `extractPdf`",
      `${n(pps(extractMs), 0)} pages/s`,
      "pdftotext (spawned)",
      `${n(pps(popplerMs), 0)} pages/s`,
      x(pps(extractMs) / pps(popplerMs)),
    ],
    [
      "PDF → paragraphs: `planDocument`",
      `${n(pps(planMs), 0)} pages/s`,
      "pdftotext (spawned)",
      `${n(pps(popplerMs), 0)} pages/s`,
      x(pps(planMs) / pps(popplerMs)),
    ],
    [
      "Local normalization, default settings",
      `${n(mbps(normMs))} MB/s`,
      "Intl.Segmenter('fr')",
      `${n(mbps(intlMs))} MB/s`,
      x(mbps(normMs) / mbps(intlMs)),
    ],
    [
      "Local normalization, limit 20 / min 3 words",
      `${n(mbps(splitMs))} MB/s`,
      "Intl.Segmenter('fr')",
      `${n(mbps(intlMs))} MB/s`,
      x(mbps(splitMs) / mbps(intlMs)),
    ],
    [
      `lemmatize: a 1,000-page book (\`analyze\`, ${lem.lines} lines, ${lem.tokens} tokens, ${n(lem.lemmaMs / 1000, 2)} s)`,
      `${n(lem.tokens / (lem.lemmaMs / 1000), 0)} tokens/s`,
      "Intl.Segmenter('fr') words, same lines",
      `${n(lem.icuTokens / (lem.icuMs / 1000), 0)} tokens/s`,
      x(lem.tokens / lem.lemmaMs / (lem.icuTokens / lem.icuMs)),
    ],
  ];
  const table = [
    "| measure | ours | reference | reference speed | ours ÷ reference |",
    "|---|---:|---|---:|---:|",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
    "| memory (one fresh `planDocument` of the whole book) | value |",
    "|---|---:|",
    `| JS heap used before → peak (sampled per page) | ${n(baseHeap, 0)} → ${n(planHeap, 0)} MB |`,
    `| peak RSS of the process before → after | ${n(baseRss, 0)} → ${n(planRss, 0)} MB |`,
    `| JS heap used during normalization runs, before → peak | ${n(normBaseHeap, 0)} → ${n(peakHeap / MB, 0)} MB |`,
    `| lemmatizer (worker/lang), JS heap after a full GC: before import → imported and used once (${n(lem.loadMs, 0)} ms, tsx transpiling included) → after the 1,000-page book | ${n(lem.heapBefore, 0)} → ${n(lem.heapLoaded, 0)} → ${n(lem.heapAfter, 0)} MB |`,
  ].join("\n");

  // The stack part starts wrangler twice; `--no-stack` skips it for a quick run.
  const stackTable = process.argv.includes("--no-stack") ? "" : `\n\n${await benchStack(NOVEL)}`;
  // The learning-set section runs with or without the stack (alone: `--only cover`).
  const coverSection = `\n\n${await benchCover(RUNS)}\n\n${await learningBench(Math.min(RUNS, 3))}`;

  const setup =
    `Input: verne-deux-ans-de-vacances.pdf, ${pageCount} pages, ${paragraphs.length} paragraphs, ` +
    `${n(bytes / MB, 2)} MB of paragraph text. Median of ${RUNS} runs after a warm-up, one thread, ` +
    `Node ${process.version} on ${os.cpus()[0]?.model ?? "unknown CPU"}.`;
  process.stdout.write(`${setup}\n\n${table}${stackTable}${coverSection}\n\n`);
  const doc = `# Benchmarks\n\nGenerated by \`npm run bench\` (${new Date().toISOString().slice(0, 10)}). Measured, not asserted: compare the ratios, not the absolute figures, across machines.\n\n${setup}\n\n${table}${stackTable}${coverSection}\n`;
  // The "## Memory" section is npm run bench:memory's: kept as it is.
  const previous = readDoc();
  const memory = previous.indexOf("\n## Memory");
  writeFileSync(DOC, memory >= 0 ? `${doc}${previous.slice(memory)}` : doc);
  process.stderr.write("written to docs/bench.md\n");
  // The Gemini engine at the model's speed: its own section, kept by the line above.
  if (!process.argv.includes("--no-stack")) writeSection("## Gemini at the model's speed", `${await benchGeminiSpeed()}\n`);
}

await main();
