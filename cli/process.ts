import { normalizeChunk, planDocument } from "../worker/pipeline";
import type { Sentence } from "../worker/pipeline/types";
import type { ProcessArgs } from "./args";
import { parsePages } from "../schema/pages";
import { readPdf } from "./read-pdf";
import path from "node:path";
import { localJobId, render } from "./format";
import { makeProgress } from "./progress";
import { checkBinaryOut, write } from "./write";

// Same budget as the API's plan step; the sentences do not depend on it.
const MAX_CHUNK_CHARS = 6000;

export async function runProcess(args: ProcessArgs): Promise<void> {
  checkBinaryOut(args.format);
  const started = performance.now();
  const data = await readPdf(args.file);
  // Before pdf.js reads (and may detach) the bytes: the GUIDs of anki/apkg come from them.
  const book = { id: localJobId(data), filename: path.basename(args.file) };
  const progress = makeProgress(process.stderr, args.quiet);
  const plan = await planDocument(data, {
    fixHyphenation: args.settings.fix_hyphenation,
    maxChunkChars: MAX_CHUNK_CHARS,
    onPage: (done, total) => progress.page(done, total),
    // The server's text limits fit a 128 MB Worker isolate; here the machine's memory decides.
    limits: null,
    pages: args.settings.pages ? parsePages(args.settings.pages) : null,
  });
  const sentences: Sentence[] = [];
  for (const chunk of plan.chunks) sentences.push(...normalizeChunk(chunk, args.settings));
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  progress.end(`${plan.pageCount} pages, ${plan.paragraphs.length} paragraphs, ${sentences.length} sentences in ${secs}s`);
  await write(process.stdout, await render(sentences, args.format, book));
}
