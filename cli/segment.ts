import { segmentSentences } from "../worker/pipeline/segment";
import { write } from "./write";

/**
 * stdin paragraphs (one per line) → one JSON array of sentences per line.
 * Works per chunk read rather than per line: one write per chunk keeps a
 * million-line input fast, and output still follows input as it arrives.
 */
export async function runSegment(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<void> {
  input.setEncoding("utf8");
  // The unfinished line, in pieces: re-joining a huge line on every chunk would be quadratic.
  let pending: string[] = [];
  let first = true;
  for await (let chunk of input as AsyncIterable<string>) {
    if (first) {
      // Files saved by Windows editors start with a BOM that is not part of the text.
      chunk = chunk.replace(/^\uFEFF/, "");
      first = false;
    }
    const newline = chunk.indexOf("\n");
    if (newline === -1) {
      pending.push(chunk);
      continue;
    }
    const lines = chunk.split("\n");
    lines[0] = pending.join("") + lines[0]!;
    pending = [lines.pop()!];
    await write(output, lines.map(segmentLine).join(""));
  }
  // A last line without a newline is still a line.
  const last = pending.join("");
  if (last !== "") await write(output, segmentLine(last));
}

function segmentLine(line: string): string {
  return `${JSON.stringify(segmentSentences(line.replace(/\r$/, "")))}\n`;
}
