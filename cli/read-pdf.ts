import { readFile } from "node:fs/promises";
import { CliError } from "./errors";

// PDF readers accept "%PDF-" anywhere in the first 1024 bytes, and so does the API.
const SNIFF_BYTES = 1024 + 5;

/** The file's bytes, or a one-line error a user can act on (missing, unreadable, not a PDF). */
export async function readPdf(file: string): Promise<Uint8Array> {
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
