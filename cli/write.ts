import { once } from "node:events";
import { usageError } from "./errors";
import { BINARY, type Format } from "./formats";

/** Writes with backpressure, so a slow reader does not make us buffer a whole book twice. */
export async function write(stream: NodeJS.WritableStream, data: string | Uint8Array): Promise<void> {
  if (!stream.write(data)) await once(stream, "drain");
}

/** apkg and xlsx are bytes for a file: refused on a terminal, before any work. */
export function checkBinaryOut(format: string, stream: NodeJS.WriteStream = process.stdout): void {
  if (BINARY.includes(format as Format) && stream.isTTY) {
    throw usageError(`--format ${format} writes a binary file: redirect stdout to one (> book.${format}).`);
  }
}
