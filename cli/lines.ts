import { write } from "./write";

/**
 * stdin lines → one output string per line, written per chunk read (one write per chunk keeps
 * a million-line input fast; output still follows input as it arrives). A BOM at the start
 * and a CR at line ends are dropped; a last line without a newline is still a line.
 */
export async function mapLines(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, fn: (line: string) => string): Promise<void> {
  input.setEncoding("utf8");
  // The unfinished line, in pieces: re-joining a huge line on every chunk would be quadratic.
  let pending: string[] = [];
  let first = true;
  const one = (line: string) => fn(line.replace(/\r$/, ""));
  for await (let chunk of input as AsyncIterable<string>) {
    if (first) {
      chunk = chunk.replace(/^\uFEFF/, "");
      first = false;
    }
    if (chunk.indexOf("\n") === -1) {
      pending.push(chunk);
      continue;
    }
    const lines = chunk.split("\n");
    lines[0] = pending.join("") + lines[0]!;
    pending = [lines.pop()!];
    await write(output, lines.map(one).join(""));
  }
  const last = pending.join("");
  if (last !== "") await write(output, one(last));
}
