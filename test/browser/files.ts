import { readFileSync } from "node:fs";
import { unzipSync } from "fflate";
import type { Locator, Page } from "playwright-core";
import initSqlJs from "sql.js";
import { expect } from "vitest";
import { parseCsv } from "../cli/run";

// The browser tests' downloads, read back the way the programs that open them do: the workbook
// from its OOXML parts (zip, workbook, styles, sheet), the Anki package from its SQLite
// collection, the Anki text file from its headers and columns.

/** Clicks `button`, waits for the download it starts; its name and bytes. */
export async function downloadFrom(page: Page, button: Locator): Promise<{ name: string; bytes: Buffer }> {
  const [d] = await Promise.all([page.waitForEvent("download"), button.click()]);
  return { name: d.suggestedFilename(), bytes: readFileSync((await d.path())!) };
}

/** UTF-8 text without its BOM, lines ending in \n. */
export const text = (bytes: Buffer) =>
  bytes
    .toString("utf8")
    .replace(/^\uFEFF/, "")
    .replace(/\r\n/g, "\n");

/** A field as Anki stores it: HTML. */
export const html = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A CSV download's rows. */
export const csvRows = (bytes: Buffer) => parseCsv(text(bytes).replace(/\n$/, ""));

/** A TSV download's rows. */
export const tsvRows = (bytes: Buffer) =>
  text(bytes)
    .replace(/\n$/, "")
    .split("\n")
    .map((l) => l.split("\t"));

const unescapeXml = (s: string) =>
  s.replace(/&(lt|gt|quot|apos|amp|#(\d+)|#x([0-9a-f]+));/gi, (_, name: string, dec?: string, hex?: string) =>
    dec
      ? String.fromCodePoint(Number(dec))
      : hex
        ? String.fromCodePoint(parseInt(hex, 16))
        : ({ lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" } as Record<string, string>)[name]!,
  );

const attr = (tag: string, name: string) => tag.match(new RegExp(`\\s${name}="([^"]*)"`))?.[1];

/** 0-based column of a cell reference's letters (B7 → 1). */
const columnOf = (ref: string) => [...ref.match(/^[A-Z]+/)![0]].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) - 1;

export interface Workbook {
  sheetNames: string[];
  /** The first sheet's cells as text, by row and column (the row and cell references placing them). */
  rows: string[][];
  /** Whether each cell of the first row is in a bold font (through its style). */
  headerBold: boolean[];
  /** Rows frozen at the top of the first sheet's view. */
  frozenRows: number;
}

/** An .xlsx read back: the workbook's first sheet, its cells' text (shared or inline strings, values), the header's font, the frozen pane. */
export function readXlsx(bytes: Uint8Array): Workbook {
  const files = unzipSync(bytes);
  const part = (name: string) => {
    const f = files[name];
    if (!f) throw new Error(`the workbook has no ${name} (it has ${Object.keys(files).join(", ")})`);
    return new TextDecoder().decode(f);
  };
  const types = part("[Content_Types].xml");
  if (!types.includes("spreadsheetml.sheet.main+xml")) throw new Error("[Content_Types].xml names no workbook");
  // The workbook's first sheet, through the package's relationships.
  const workbookPath = attr(part("_rels/.rels").match(/<Relationship [^>]*officeDocument"[^>]*>/)![0], "Target")!.replace(/^\//, "");
  const dir = workbookPath.slice(0, workbookPath.lastIndexOf("/") + 1);
  const relsPath = `${dir}_rels/${workbookPath.slice(dir.length)}.rels`;
  const workbook = part(workbookPath);
  const sheets = [...workbook.matchAll(/<sheet [^>]*>/g)].map((m) => m[0]);
  const rels = new Map([...part(relsPath).matchAll(/<Relationship [^>]*>/g)].map((m) => [attr(m[0], "Id")!, attr(m[0], "Target")!]));
  const sheetPath = dir + rels.get(attr(sheets[0]!, "r:id")!)!;
  const relOfType = (type: string) => [...rels.values()].find((t) => t.endsWith(type));
  const shared = relOfType("sharedStrings.xml")
    ? [...part(dir + relOfType("sharedStrings.xml")!).matchAll(/<si>(.*?)<\/si>/gs)].map((m) =>
        unescapeXml([...m[1]!.matchAll(/<t[^>]*>(.*?)<\/t>/gs)].map((t) => t[1]).join("")),
      )
    : [];
  const styles = part(dir + relOfType("styles.xml")!);
  const fonts = [...styles.match(/<fonts[^>]*>(.*?)<\/fonts>/s)![1]!.matchAll(/<font>(.*?)<\/font>|<font\/>/gs)].map((m) => m[1] ?? "");
  const xfs = [...styles.match(/<cellXfs[^>]*>(.*?)<\/cellXfs>/s)![1]!.matchAll(/<xf [^>]*>/g)].map((m) => m[0]);
  const bold = (style: number) => /<b\/>|<b val="(1|true)"\/>/.test(fonts[Number(attr(xfs[style]!, "fontId") ?? 0)] ?? "");

  const sheet = part(sheetPath);
  const rows: string[][] = [];
  const headerBold: boolean[] = [];
  for (const row of sheet.matchAll(/<row ([^>]*)>(.*?)<\/row>/gs)) {
    const r = Number(attr(` ${row[1]}`, "r")) - 1;
    const cells: string[] = [];
    for (const c of row[2]!.matchAll(/<c ([^>]*?)(?:\/>|>(.*?)<\/c>)/gs)) {
      const tag = ` ${c[1]}`;
      const col = columnOf(attr(tag, "r")!);
      const body = c[2] ?? "";
      const type = attr(tag, "t");
      const v = body.match(/<v>(.*?)<\/v>/s)?.[1];
      cells[col] =
        type === "inlineStr"
          ? unescapeXml([...body.matchAll(/<t[^>]*>(.*?)<\/t>/gs)].map((t) => t[1]).join(""))
          : type === "s"
            ? shared[Number(v)]!
            : unescapeXml(v ?? "");
      if (r === 0) headerBold[col] = bold(Number(attr(tag, "s") ?? 0));
    }
    rows[r] = Array.from(cells, (x) => x ?? "");
  }
  const pane = sheet.match(/<pane [^>]*>/)?.[0];
  const frozenRows = pane && /state="frozen"/.test(pane) ? Number(attr(pane, "ySplit") ?? 0) : 0;
  return { sheetNames: sheets.map((s) => unescapeXml(attr(s, "name")!)), rows: Array.from(rows, (x) => x ?? []), headerBold, frozenRows };
}

export interface AnkiTextFile {
  /** `#key:value` headers. */
  headers: Map<string, string>;
  /** The notes' lines, split in columns. */
  rows: string[][];
  /** A column of every row, by its name in `#columns`. */
  column: (name: string) => string[];
}

/** An Anki text file read as Anki's importer reads it: the headers, then a note a line. */
export function readAnkiText(bytes: Buffer): AnkiTextFile {
  const lines = bytes.toString("utf8").replace(/\n$/, "").split("\n");
  const headers = new Map(lines.filter((l) => l.startsWith("#")).map((l) => [l.slice(1, l.indexOf(":")), l.slice(l.indexOf(":") + 1)]));
  const rows = lines.filter((l) => !l.startsWith("#")).map((l) => l.split(headers.get("separator") === "tab" ? "\t" : ","));
  const names = (headers.get("columns") ?? "").split("\t");
  return {
    headers,
    rows,
    column: (name) => {
      const i = names.indexOf(name);
      if (i < 0) throw new Error(`no column ${name} in ${names.join(", ")}`);
      return rows.map((r) => r[i]!);
    },
  };
}

export interface AnkiPackage {
  files: string[];
  decks: string[];
  notes: Array<{ guid: string; fields: string[]; tags: string }>;
  cards: number;
}

/** An .apkg read back: its collection (collection.anki21, else collection.anki2) opened with SQLite. */
export async function readApkg(bytes: Uint8Array): Promise<AnkiPackage> {
  const files = unzipSync(bytes);
  const collection = files["collection.anki21"] ?? files["collection.anki2"];
  if (!collection) throw new Error(`the package has no collection (it has ${Object.keys(files).join(", ")})`);
  const SQL = await initSqlJs();
  const db = new SQL.Database(collection);
  try {
    const all = (sql: string) => {
      const [r] = db.exec(sql);
      return r ? r.values : [];
    };
    const decks = Object.values(JSON.parse(String(all("SELECT decks FROM col")[0]![0])) as Record<string, { name: string }>).map(
      (d) => d.name,
    );
    const notes = all("SELECT guid, flds, tags FROM notes ORDER BY id").map(([guid, flds, tags]) => ({
      guid: String(guid),
      fields: String(flds).split("\x1f"),
      tags: String(tags).trim(),
    }));
    return { files: Object.keys(files).sort(), decks, notes, cards: Number(all("SELECT count(*) FROM cards")[0]![0]) };
  } finally {
    db.close();
  }
}

/** An .xlsx export opens as one sheet named `sheet`, its header bold and frozen, its cells `table`'s text (header first). */
export function expectWorkbook(bytes: Uint8Array, sheet: string, table: string[][]) {
  const book = readXlsx(bytes);
  expect(book.sheetNames).toEqual([sheet]);
  expect(book.frozenRows).toBe(1);
  expect(book.headerBold).toEqual(table[0]!.map(() => true));
  expect(book.rows).toEqual(table);
}

/** An .apkg export holds a collection in `deck`, one note and card for each of `guids`, in order; its notes. */
export async function expectPackage(bytes: Uint8Array, deck: string, guids: readonly (string | undefined)[]) {
  const pkg = await readApkg(bytes);
  expect(pkg.files).toEqual(["collection.anki2", "media"]);
  expect(pkg.notes).toHaveLength(guids.length);
  expect(pkg.cards).toBe(guids.length);
  expect(pkg.decks).toContain(deck);
  expect(pkg.notes.map((n) => n.guid)).toEqual(guids);
  return pkg.notes;
}
