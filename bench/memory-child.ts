/**
 * One memory measurement, run by bench/memory.ts in a fresh `node --expose-gc` process:
 * `memory-child.ts <plan|split> <file.pdf>`. Samples `process.memoryUsage()` every ~5 ms
 * and after every step (page, range), and prints one `RESULT {json}` line on stdout.
 *
 * heapUsed + external is what counts against a Worker isolate's 128 MB (external includes
 * the ArrayBuffers: the input bytes, pdf.js and pdf-lib buffers); rss is reported beside it.
 * A timer cannot fire inside a long synchronous call, so a peak there is only seen if it
 * is still standing at the next sample: the figures are sampled peaks, a lower bound.
 */
import { readFileSync } from "node:fs";
import { planDocument, PipelineError } from "../worker/pipeline";
import { pageRanges } from "../worker/pipeline/scan";

const MIB = 1024 * 1024;
const [mode, file] = process.argv.slice(2);
if ((mode !== "plan" && mode !== "split") || !file) {
  process.stderr.write("usage: memory-child.ts <plan|split> <file.pdf>\n");
  process.exit(2);
}
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");

let peak = 0;
let heapAtPeak = 0;
let externalAtPeak = 0;
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
  peakRss = Math.max(peakRss, m.rss);
}

// What the process holds before the input: Node, tsx and the pipeline's modules.
gc();
gc();
const base = process.memoryUsage();
const baseline = base.heapUsed + base.external;

const timer = setInterval(sample, 5);
const start = performance.now();
const bytes = new Uint8Array(readFileSync(file));
sample();
let outcome = "ok";
let pages = 0;
let ranges = 0;
try {
  if (mode === "plan") {
    const plan = await planDocument(bytes, {
      fixHyphenation: true,
      maxChunkChars: 6000,
      onPage: (_done, total) => {
        pages = total;
        sample();
      },
    });
    sample();
    outcome = `ok: ${plan.paragraphs.length} paragraphs, ${plan.chunks.length} chunks`;
  } else {
    for await (const range of pageRanges(bytes, 4)) {
      sample();
      ranges++;
      pages = range.last_page;
    }
    sample();
    outcome = `ok: ${ranges} ranges`;
  }
} catch (err) {
  sample();
  outcome = err instanceof PipelineError ? `${err.code} (expected on a scan)` : `error: ${String(err)}`;
}
const ms = performance.now() - start;
clearInterval(timer);

const mib = (n: number) => Math.round((n / MIB) * 10) / 10;
process.stdout.write(
  `RESULT ${JSON.stringify({
    mode,
    pages,
    outcome,
    seconds: Math.round(ms) / 1000,
    peakHeapExternalMiB: mib(peak),
    heapAtPeakMiB: mib(heapAtPeak),
    externalAtPeakMiB: mib(externalAtPeak),
    peakRssMiB: mib(peakRss),
    baselineMiB: mib(baseline),
    samples,
  })}\n`,
);
