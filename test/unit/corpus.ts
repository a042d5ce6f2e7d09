import { readFileSync } from "node:fs";
import path from "node:path";

/** The shared test corpus lives beside the project, never copied into it. */
export const CORPUS = path.resolve(process.cwd(), "../shared/corpus");

/** A sentence-boundary gold set: one paragraph a line, its sentences exact slices of its text. */
export interface GoldParagraph {
  id: string;
  text: string;
  sentences: string[];
  /** Only in the project's own set: "news", "web" or "literary-dialogue". */
  genre?: string;
}

export function readGold(file: string): GoldParagraph[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as GoldParagraph);
}

/** UD French-Sequoia, in the shared corpus. */
export const SEQUOIA_GOLD = path.join(CORPUS, "segmentation/ud-french-sequoia.jsonl");

/** The project's own set, kept apart from Sequoia (test/fixtures/README.md). */
export const UNSEEN_GOLD = path.resolve(process.cwd(), "test/fixtures/segmentation/unseen-fr.jsonl");

/** The unseen set in the two groups it is scored by. */
export function unseenGroups(): { name: string; rows: GoldParagraph[] }[] {
  const rows = readGold(UNSEEN_GOLD);
  return [
    { name: "news + web", rows: rows.filter((r) => r.genre === "news" || r.genre === "web") },
    { name: "literary dialogue", rows: rows.filter((r) => r.genre === "literary-dialogue") },
  ];
}

export function novelPdf(name: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(CORPUS, "novels", `${name}.pdf`)));
}

export function novelSource(name: string): string {
  return readFileSync(path.join(CORPUS, "novels", `${name}.source.txt`), "utf8");
}

/** A minimal PDF whose Standard security handler wants a password nobody knows. */
export function encryptedPdf(): Uint8Array {
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    `<< /Filter /Standard /V 1 /R 2 /O <${"ab".repeat(32)}> /U <${"cd".repeat(32)}> /P -4 >>`,
  ];
  let pdf = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, "0")} 00000 n \n`;
  const id = "01".repeat(16);
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Encrypt 4 0 R /ID [<${id}> <${id}>] >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(pdf);
}
