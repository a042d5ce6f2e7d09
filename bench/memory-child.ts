/**
 * One memory measurement, run by bench/memory.ts in a fresh `node --expose-gc` process:
 * `memory-child.ts <plan|scan|split> <file.pdf>`. Samples `process.memoryUsage()` every ~5 ms
 * and after every step (page, range), and prints one `RESULT {json}` line on stdout.
 *
 * - plan: what the plan consumer does with a text PDF: `planDocument`, then every chunk
 *   serialized for R2.
 * - scan: what it does with a scan when Gemini is on: `planDocument` (which finds no text
 *   layer), then `pageRanges` over the same bytes, still held.
 * - split: `pageRanges` alone.
 *
 * heapUsed + external is what counts against a Worker isolate's 128 MB (external includes
 * the ArrayBuffers: the input bytes, pdf.js and pdf-lib buffers); rss is reported beside it.
 * A timer cannot fire inside a long synchronous call, so a peak there is only seen if it
 * is still standing at the next sample: the parent also reads V8's own GC trace for that.
 * `gc()` is called once, before the input is read, to measure the baseline; never after.
 */
import { readFileSync } from "node:fs";
import { planDocument, PipelineError } from "../worker/pipeline";
import { pageRanges } from "../worker/pipeline/scan";

const MIB = 1024 * 1024;
const [mode, file] = process.argv.slice(2);
if ((mode !== "plan" && mode !== "scan" && mode !== "split") || !file) {
  process.stderr.write("usage: memory-child.ts <plan|scan|split> <file.pdf>\n");
  process.exit(2);
}
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

// What the process holds before the input: Node, tsx and the pipeline's modules.
gc();
gc();
const base = process.memoryUsage();
const baseline = base.heapUsed + base.external;
process.stdout.write("INPUT\n"); // GC trace lines before this one are Node's own start-up

const timer = setInterval(sample, 5);
const start = performance.now();
const bytes = new Uint8Array(readFileSync(file));
sample();
const outcomes: string[] = [];
let pages = 0;
const fail = (err: unknown) => (err instanceof PipelineError ? `refused: ${err.code}` : `error: ${String(err)}`);

async function split(): Promise<void> {
  let ranges = 0;
  for await (const range of pageRanges(bytes, 4)) {
    sample();
    ranges++;
    pages = range.last_page;
  }
  sample();
  outcomes.push(`${ranges} ranges`);
}

try {
  if (mode === "split") await split();
  else {
    const plan = await planDocument(bytes, {
      fixHyphenation: true,
      maxChunkChars: 12000,
      onPage: (_done, total) => {
        pages = total;
        sample();
      },
    }).catch((err: unknown) => {
      // A scan: with Gemini on, the consumer cuts the same bytes into page ranges.
      if (mode === "scan" && err instanceof PipelineError && err.code === "no_text_layer") return null;
      throw err;
    });
    sample();
    if (plan) {
      // What the consumer writes to R2: every chunk as JSON, made at once.
      const bodies = plan.chunks.map((c) => JSON.stringify(c));
      sample();
      outcomes.push(`${plan.paragraphs.length} paragraphs, ${bodies.length} chunks`);
    } else {
      outcomes.push("no text layer, then");
      await split();
    }
  }
} catch (err) {
  sample();
  outcomes.push(fail(err));
}
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
