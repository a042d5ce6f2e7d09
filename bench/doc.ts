/** The sections of docs/bench.md that a benchmark writes on its own (bench:memory, bench:hostile, bench:soak). */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Replaces the section that starts with `heading` (up to the next "## "), or appends it. */
export function writeSection(heading: string, section: string): void {
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
