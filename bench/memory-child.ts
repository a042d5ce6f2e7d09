/**
 * One memory measurement, run by bench/memory.ts in a fresh `node --expose-gc` process:
 * `memory-child.ts <plan|scan|split|parts> <file.pdf>…`. Samples `process.memoryUsage()` every
 * ~5 ms and after every step (page, range), and prints one `RESULT {json}` line on stdout.
 *
 * - plan: what the plan consumer does with a text PDF: `planDocument` on the bytes handed over,
 *   then every chunk serialized for R2.
 * - scan: what it does with a scan when Gemini is on: `planDocument` (which finds no text
 *   layer), then `pageRanges` over the file read again (handed over), each range released
 *   once stored, as `planScan` does.
 * - split: `pageRanges` alone.
 * - parts: a book sent in parts, as planParts does: `readParts` (each part read in turn, handed
 *   over, the text limits counting the parts before), `planPages`, chunks to JSON; a scan then
 *   `partRanges` (each part's ranges, the part released after its last).
 *
 * heapUsed + external is what counts against a Worker isolate's 128 MB (external includes
 * the ArrayBuffers: the input bytes, pdf.js and pdf-lib buffers); rss is reported beside it.
 * A timer cannot fire inside a long synchronous call, so a peak there is only seen if it
 * is still standing at the next sample: the parent also reads V8's own GC trace for that.
 * `gc()` is called once, before the input is read, to measure the baseline; never after.
 * It runs bundled after every module of the API Worker (bench/worker-bundle.ts), not under tsx:
 * the baseline is what an isolate holds before any request.
 * With FNT_BENCH_KEEP_BUFFERS=1 `release` has no effect (no `ArrayBuffer.prototype.transfer`).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { JobSettingsSchema } from "../schema/settings";
import { sentenceFacts } from "../worker/pipeline/facts";
import { normalizeChunk, partRanges, planDocument, PipelineError, readParts, release } from "../worker/pipeline";
import { planPages, type Plan } from "../worker/pipeline/index";
import { pageRanges, type PageRange } from "../worker/pipeline/scan";

const MIB = 1024 * 1024;
const [mode, ...files] = process.argv.slice(2);
const file = files[0];
if ((mode !== "plan" && mode !== "tagged" && mode !== "scan" && mode !== "split" && mode !== "parts") || !file) {
  process.stderr.write("usage: memory-child.ts <plan|tagged|scan|split|parts> <file.pdf>…\n");
  process.exit(2);
}
// The reference run (bench/memory.ts): dead buffers left to the GC, as before `release` existed.
if (process.env.FNT_BENCH_KEEP_BUFFERS === "1") delete (ArrayBuffer.prototype as { transfer?: unknown }).transfer;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");

let peak = 0;
let heapAtPeak = 0;
let externalAtPeak = 0;
let peakExternal = 0;
let peakRss = 0;
let samples = 0;
function sample(): void {
  const m = process.memoryUsage();
  samples++;
  const both = m.heapUsed + m.external;
  if (both > peak) {
    peak = both;
    heapAtPeak = m.heapUsed;
    externalAtPeak = m.external;
  }
  peakExternal = Math.max(peakExternal, m.external);
  peakRss = Math.max(peakRss, m.rss);
}

// tagged: the isolate has tagged text first, as a chunk consumer in the same isolate does: every
// sentence of the corpus's UD files (~4,600 sentences, ~100,000 words, the lexicon and tagger's
// caches as full as a day of chunks would leave them) through the local engine and the sentence
// facts, then it plans. FNT_BENCH_CORPUS names the folder of .conllu files.
if (mode === "tagged") {
  const dir = process.env.FNT_BENCH_CORPUS;
  if (!dir) throw new Error("tagged: set FNT_BENCH_CORPUS to the folder of .conllu files");
  const texts = readdirSync(dir)
    .filter((f) => f.endsWith(".conllu"))
    .flatMap((f) => [...readFileSync(path.join(dir, f), "utf8").matchAll(/^# text = (.+)$/gm)].map((m) => m[1]!));
  const settings = JobSettingsSchema.parse({});
  for (let i = 0; i < texts.length; i += 100) {
    const paragraphs = texts.slice(i, i + 100).map((text, n) => ({ text, page: 1 + n }));
    const chunk = { index: 0, first_paragraph: 0, paragraphs, first_page: 1, last_page: paragraphs.length };
    for (const s of normalizeChunk(chunk as Parameters<typeof normalizeChunk>[0], settings)) sentenceFacts(s.text);
  }
}
// What the process holds before the input: Node and the whole API Worker's code.
gc();
gc();
const base = process.memoryUsage();
const baseline = base.heapUsed + base.external;
process.stdout.write("INPUT\n"); // GC trace lines before this one are Node's own start-up

const timer = setInterval(sample, 5);
const start = performance.now();
/** A file's bytes as R2's arrayBuffer() gives them: one buffer of their own, no second copy. */
function read(f: string): Uint8Array {
  const b = readFileSync(f);
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? new Uint8Array(b.buffer, 0, b.byteLength) : new Uint8Array(b);
}
sample();
const outcomes: string[] = [];
let pages = 0;
const fail = (err: unknown) => (err instanceof PipelineError ? `refused: ${err.code}` : `error: ${String(err)}`);

/** What planScan does with the ranges: each stored, then released. */
async function split(ranges: AsyncIterable<PageRange>): Promise<void> {
  let count = 0;
  for await (const range of ranges) {
    sample();
    release(range.pdf);
    count++;
    pages = Math.max(pages, range.last_page);
  }
  sample();
  outcomes.push(`${count} ranges`);
}

/** What the consumer writes to R2: every chunk as JSON, made at once. */
function store(plan: Plan): void {
  const bodies = plan.chunks.map((c) => JSON.stringify(c));
  sample();
  outcomes.push(`${plan.paragraphs.length} paragraphs, ${bodies.length} chunks`);
}

const opts = { fixHyphenation: true, maxChunkChars: 12000 };
const onPage = (_done: number, total: number) => {
  pages = Math.max(pages, total);
  sample();
};

async function main(): Promise<void> {
  try {
    // The consumer's own functions (planDocument, pageRanges, and readParts, partRanges for parts).
    const readPart = async (n: number) => read(files[n - 1]!);
    if (mode === "split") await split(pageRanges(read(file), 4, { handOver: true }));
    else if (mode === "parts") {
      const pdf = await readParts(files.length, readPart, { onPage });
      pages = pdf.pageCount;
      sample();
      let plan: Plan | null = null;
      try {
        plan = planPages(pdf, opts);
      } catch (err) {
        if (!(err instanceof PipelineError && err.code === "no_text_layer")) throw err;
      }
      sample();
      if (plan) store(plan);
      else {
        outcomes.push("no text layer, then");
        await split(partRanges(pdf.partPages, readPart, 4));
      }
    } else {
      // Handed over, as the consumer does (tagged: the same, after the tagging above): pdf.js takes the bytes without a copy.
      const plan = await planDocument(read(file), { ...opts, onPage, handOver: true }).catch((err: unknown) => {
        // A scan: with Gemini on, the consumer reads the file again and cuts it into page ranges.
        if (mode === "scan" && err instanceof PipelineError && err.code === "no_text_layer") return null;
        throw err;
      });
      sample();
      if (plan) store(plan);
      else {
        outcomes.push("no text layer, then");
        await split(pageRanges(read(file), 4, { handOver: true }));
      }
    }
  } catch (err) {
    sample();
    outcomes.push(fail(err));
  }
}

/** The RESULT line. */
function report(): void {
  const ms = performance.now() - start;
  clearInterval(timer);

  const mib = (n: number) => Math.round((n / MIB) * 10) / 10;
  process.stdout.write(
    `RESULT ${JSON.stringify({
      mode,
      pages,
      outcome: outcomes.join(" "),
      seconds: Math.round(ms) / 1000,
      peakHeapExternalMiB: mib(peak),
      heapAtPeakMiB: mib(heapAtPeak),
      externalAtPeakMiB: mib(externalAtPeak),
      peakExternalMiB: mib(peakExternal),
      peakRssMiB: mib(peakRss),
      baselineMiB: mib(baseline),
      samples,
    })}\n`,
  );
}

// No top-level await: the bundle is CommonJS (bench/worker-bundle.ts).
void main().then(report);
