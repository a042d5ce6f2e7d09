import { readFile } from "node:fs/promises";
import { normalizeChunk, planDocument } from "../worker/pipeline";
import type { Sentence } from "../worker/pipeline/types";
import type { ProcessArgs } from "./args";
import { CliError } from "./errors";
import { render } from "./format";
import { makeProgress } from "./progress";
import { write } from "./write";

// Same budget as the API's plan step; the sentences do not depend on it.
const MAX_CHUNK_CHARS = 6000;
// PDF readers accept "%PDF-" anywhere in the first 1024 bytes, and so does the API.
const SNIFF_BYTES = 1024 + 5;

async function readPdf(file: string): Promise<Uint8Array> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new CliError(`${file}: no such file.`);
    if (code === "EISDIR") throw new CliError(`${file}: is a directory, not a PDF.`);
    if (code === "EACCES") throw new CliError(`${file}: permission denied.`);
    throw new CliError(`${file}: cannot be read (${code ?? String(err)}).`);
  }
  if (!data.subarray(0, SNIFF_BYTES).includes("%PDF-")) {
    throw new CliError(`${file}: not a PDF (it does not start with %PDF-).`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export async function runProcess(args: ProcessArgs): Promise<void> {
  const started = performance.now();
  const data = await readPdf(args.file);
  const progress = makeProgress(process.stderr, args.quiet);
  const plan = await planDocument(data, {
    fixHyphenation: args.settings.fix_hyphenation,
    maxChunkChars: MAX_CHUNK_CHARS,
    onPage: (done, total) => progress.page(done, total),
    // The server's part limits fit a 128 MB Worker isolate; here the machine's memory decides.
    limits: null,
  });
  const sentences: Sentence[] = [];
  for (const chunk of plan.chunks) sentences.push(...normalizeChunk(chunk, args.settings));
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  progress.end(`${plan.pageCount} pages, ${plan.paragraphs.length} paragraphs, ${sentences.length} sentences in ${secs}s`);
  await write(process.stdout, render(sentences, args.format));
}
