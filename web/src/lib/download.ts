// Saving an export (a job's or a learning set's) as a file in the browser.

export type ExportFormat = "csv" | "tsv" | "txt" | "json" | "anki" | "apkg" | "xlsx";

/** The file's extension: the Anki text file is a .txt (what Anki's importer lists), named apart from the plain one. */
const EXTENSIONS: Record<ExportFormat, string> = {
  csv: "csv",
  tsv: "tsv",
  txt: "txt",
  json: "json",
  anki: "anki.txt",
  apkg: "apkg",
  xlsx: "xlsx",
};

/** Saves an export's bytes as `<base>.<extension>`. */
export function saveExport(blob: Blob, base: string, format: ExportFormat) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `${base}.${EXTENSIONS[format]}`;
  document.body.append(a);
  a.click();
  a.remove();
  // Revoked later: Chromium reads the blob after click() returns.
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
