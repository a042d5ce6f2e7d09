import { spawnSync } from "node:child_process";
import { DatabaseSync } from "node:sqlite";
import path from "node:path";
import { unzipSync } from "fflate";
import initSqlJs from "sql.js";
import { describe, expect, it } from "vitest";
import { ankiGuid, ankiText, jobDeck, learningDeck } from "../../worker/pipeline/anki";
import { buildApkg, NOTETYPE_ID } from "../../worker/pipeline/apkg";
import { RESULT_COLUMNS, resultRows, toTable } from "../../worker/pipeline/formats";
import { toXlsx } from "../../worker/pipeline/xlsx";

const ROOT = path.resolve(import.meta.dirname, "../..");

const SENTENCES = [
  { index: 0, text: "Le chat dort.", page: 1 },
  { index: 1, text: "Il dit :\t« viens »\net part.", page: 2, original: "Il dit : « viens » et il part." },
  { index: 2, text: "=1+1 & <b>deux</b>", page: 2 },
];

const rowsOf = (text: string) =>
  text
    .trimEnd()
    .split("\n")
    .filter((l) => !l.startsWith("#"))
    .map((l) => l.split("\t"));

describe("anki text export", () => {
  it("has Anki's file headers, one flat line a note, deck and tags after the book", () => {
    const text = ankiText(jobDeck("job-1", "Le Petit Prince.pdf", SENTENCES));
    expect(text.split("\n").slice(0, 7)).toEqual([
      "#separator:tab",
      "#html:false",
      "#notetype:French Novel Tool",
      "#deck column:4",
      "#guid column:5",
      "#tags column:6",
      "#columns:Sentence\tOriginal\tPage\tDeck\tGUID\tTags",
    ]);
    const rows = rowsOf(text);
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r).toHaveLength(6);
    expect(rows[1]).toEqual([
      "Il dit : « viens » et part.",
      "Il dit : « viens » et il part.",
      "2",
      "Le Petit Prince",
      ankiGuid("job-1", 1),
      "fnt Le_Petit_Prince",
    ]);
    expect(rows[0]![1]).toBe("");
  });

  it("keeps a sentence's GUID through an edit, and gives each job and index its own", () => {
    const guid = ankiGuid("job-1", 0);
    expect(guid).toMatch(/^[0-9a-f]{16}$/);
    expect(ankiGuid("job-1", 0)).toBe(guid);
    const edited = rowsOf(ankiText(jobDeck("job-1", "b.pdf", [{ ...SENTENCES[0]!, text: "Le chat dort bien." }])));
    expect(edited[0]![4]).toBe(guid);
    expect(ankiGuid("job-1", 1)).not.toBe(guid);
    expect(ankiGuid("job-2", 0)).not.toBe(guid);
    // Not "job-1" + "10" vs "job-11" + "0".
    expect(ankiGuid("job-11", 0)).not.toBe(ankiGuid("job-1", 10));
  });

  it("a learning set: new words as a column, the job's GUIDs, the deck after its first book", () => {
    const set = [{ job_id: "job-1", index: 2, text: "Le chat.", page: 2, new_words: ["chat", "le"] }];
    const text = ankiText(learningDeck(set, new Map([["job-1", "Contes de Noël"]])));
    expect(text).toContain("#columns:Sentence\tPage\tNew words\tDeck\tGUID\tTags\n");
    expect(rowsOf(text)).toEqual([
      ["Le chat.", "2", "chat le", "Learning set — Contes de Noël", ankiGuid("job-1", 2), "fnt Contes_de_Noël"],
    ]);
    // Two books: the deck after the set's first book, each note tagged with its own.
    const two = rowsOf(
      ankiText(
        learningDeck(
          set,
          new Map([
            ["job-0", "Zadig"],
            ["job-1", "Contes de Noël"],
          ]),
        ),
      ),
    );
    expect(two[0]!.slice(3)).toEqual(["Learning set — Zadig", ankiGuid("job-1", 2), "fnt Contes_de_Noël"]);
  });
});

describe("xlsx export", () => {
  const sheetXml = (bytes: Uint8Array) => new TextDecoder().decode(unzipSync(bytes)["xl/worksheets/sheet1.xml"]);

  it("writes a bold frozen header and every cell as text, a formula-looking sentence included", () => {
    const bytes = toXlsx(RESULT_COLUMNS, resultRows(SENTENCES.map((s) => ({ ...s, chunk: 0, word_count: 3, has_verb: true }))));
    expect([...bytes.subarray(0, 2)]).toEqual([0x50, 0x4b]);
    const files = unzipSync(bytes);
    expect(Object.keys(files).sort()).toEqual([
      "[Content_Types].xml",
      "_rels/.rels",
      "xl/_rels/workbook.xml.rels",
      "xl/styles.xml",
      "xl/workbook.xml",
      "xl/worksheets/sheet1.xml",
    ]);
    const sheet = sheetXml(bytes);
    expect(sheet).toContain('<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>');
    // Header cells use style 1: a bold font.
    const header = sheet.match(/<row r="1">(.*?)<\/row>/)![1]!;
    expect(
      [...header.matchAll(/<c r="[A-Z]+1" s="(\d)" t="inlineStr"><is><t xml:space="preserve">([^<]*)<\/t>/g)].map((m) => [m[1], m[2]]),
    ).toEqual(RESULT_COLUMNS.map((c) => ["1", c]));
    const styles = new TextDecoder().decode(files["xl/styles.xml"]);
    const xfs = [...styles.match(/<cellXfs[^>]*>(.*)<\/cellXfs>/)![1]!.matchAll(/<xf [^>]*>/g)].map((m) => m[0]);
    const fonts = [...styles.match(/<fonts[^>]*>(.*)<\/fonts>/)![1]!.matchAll(/<font>(.*?)<\/font>/g)].map((m) => m[1]);
    expect(fonts[Number(xfs[1]!.match(/fontId="(\d)"/)![1])]).toContain("<b/>");
    // No cell is a number nor a formula: every one is an inline string.
    expect(sheet).not.toMatch(/<f>|<v>/);
    expect(sheet.match(/<c /g)).toHaveLength(RESULT_COLUMNS.length * 4);
    expect(sheet.match(/t="inlineStr"/g)).toHaveLength(RESULT_COLUMNS.length * 4);
    expect(sheet).toContain('<c r="B4" s="2" t="inlineStr"><is><t xml:space="preserve">=1+1 &amp; &lt;b&gt;deux&lt;/b&gt;</t></is></c>');
    expect(sheet).toContain('<c r="C2" s="2" t="inlineStr"><is><t xml:space="preserve">1</t></is></c>');
  });

  it("gives the same bytes for the same rows (the API's file and the CLI's)", () => {
    const rows = resultRows(SENTENCES.map((s) => ({ ...s, chunk: 0, word_count: 3, has_verb: true })));
    const bytes = Buffer.from(toXlsx(RESULT_COLUMNS, rows));
    expect(bytes.equals(Buffer.from(toXlsx(RESULT_COLUMNS, rows)))).toBe(true);
    // Each entry dated 2020-01-01 00:00 (DOS time 0, date (2020-1980)<<9 | 1<<5 | 1), not now.
    expect([bytes.readUInt16LE(10), bytes.readUInt16LE(12)]).toEqual([0, (40 << 9) | (1 << 5) | 1]);
  });

  it("drops the characters XML cannot hold and names columns past Z", () => {
    const bytes = toXlsx(
      Array.from({ length: 28 }, (_, i) => `c${i}`),
      [["a\u0001b\u0000", ...Array(27).fill("x")]],
    );
    const sheet = sheetXml(bytes);
    expect(sheet).toContain('<c r="A2" s="2" t="inlineStr"><is><t xml:space="preserve">ab</t>');
    expect(sheet).toContain('<c r="AB2"');
  });

  it("a 1,000-page book's rows (60,000) stay far within a Worker's 128 MB", () => {
    // In a process whose V8 heap may not pass 64 MiB: the rows (~10 MiB), the zip and what the
    // writer holds besides (one batch of rows) must fit, whatever garbage the GC has not taken yet.
    const script = `
      import { RESULT_COLUMNS } from "./worker/pipeline/formats";
      import { toXlsx } from "./worker/pipeline/xlsx";
      const sentence = "Il était une fois, dans un pays lointain, une princesse qui lisait des romans français.";
      const rows = Array.from({ length: 60_000 }, (_, i) => [i + 1, sentence, Math.floor(i / 60) + 1, Math.floor(i / 600), "", 15, "yes"]);
      process.stdout.write(toXlsx(RESULT_COLUMNS, rows));`;
    const run = spawnSync(
      process.execPath,
      ["--max-old-space-size=64", "--max-semi-space-size=1", "--import", "tsx", "--input-type=module", "-e", script],
      { cwd: ROOT, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
    );
    expect(run.stderr.toString()).not.toMatch(/heap out of memory/i);
    expect(run.status).toBe(0);
    // The zip itself is a few MB, and it holds every row.
    const bytes = new Uint8Array(run.stdout);
    expect(bytes.length).toBeGreaterThan(1_000_000);
    expect(bytes.length).toBeLessThan(8_000_000);
    expect(sheetXml(bytes).match(/<row /g)).toHaveLength(60_001);
  });
});

describe("apkg export", () => {
  it("is a zip of collection.anki2 (schema 11) and media, one note and card a sentence, the anki file's GUIDs", async () => {
    const SQL = await initSqlJs();
    const deck = jobDeck("job-1", "Le Petit Prince.pdf", SENTENCES);
    const files = unzipSync(buildApkg(SQL, deck, 1_700_000_000_000));
    expect(Object.keys(files).sort()).toEqual(["collection.anki2", "media"]);
    expect(new TextDecoder().decode(files.media)).toBe("{}");
    const db = new DatabaseSync(":memory:");
    try {
      // node:sqlite opens files only: deserialize through a temp file.
      const { mkdtempSync, writeFileSync } = await import("node:fs");
      const { tmpdir } = await import("node:os");
      const path = `${mkdtempSync(`${tmpdir()}/apkg-`)}/collection.anki2`;
      writeFileSync(path, files["collection.anki2"]!);
      const col = new DatabaseSync(path, { readOnly: true });
      const tables = col
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all()
        .map((r) => r.name);
      expect(tables).toEqual(["cards", "col", "graves", "notes", "revlog"]);
      const c = col.prepare("SELECT ver, models, decks FROM col").get() as { ver: number; models: string; decks: string };
      expect(c.ver).toBe(11);
      const model = JSON.parse(c.models)[NOTETYPE_ID];
      expect(model.flds.map((f: { name: string }) => f.name)).toEqual(["Sentence", "Original", "Page", "New words"]);
      expect(Object.values(JSON.parse(c.decks)).map((d: any) => d.name)).toContain("Le Petit Prince");
      const notes = col.prepare("SELECT guid, mid, flds, tags FROM notes ORDER BY id").all() as {
        guid: string;
        mid: number;
        flds: string;
        tags: string;
      }[];
      expect(notes).toHaveLength(SENTENCES.length);
      expect(notes.map((n) => n.guid)).toEqual(rowsOf(ankiText(deck)).map((r) => r[4]));
      expect(notes[2]!.flds.split("\x1f")).toEqual(["=1+1 &amp; &lt;b&gt;deux&lt;/b&gt;", "", "2", ""]);
      expect(notes[0]!.tags).toBe(" fnt Le_Petit_Prince ");
      expect(notes.every((n) => n.mid === NOTETYPE_ID)).toBe(true);
      expect((col.prepare("SELECT count(*) AS n FROM cards").get() as { n: number }).n).toBe(SENTENCES.length);
      col.close();
    } finally {
      db.close();
    }
  });
});

describe("CSV and TSV: no cell a spreadsheet would run as a formula", () => {
  const cells = ['=HYPERLINK("http://x","clic")', "+33 1 23 45", "@SUM(A1)", "-2+3", "-cmd|' /C calc'!A0", "\tIl part.", "\rIl part."];
  const dialogue = ["– Oui ! dit-il.", "— Non !", "- Oui répondit Briant.", "-- Je ne sais qu’une chose.", "Le prix : 3 = trois."];

  it("puts an apostrophe before each formula-looking cell, in both formats", () => {
    const csv = toTable(
      ["sentence"],
      cells.map((c) => [c]),
      "csv",
      "\n",
    )
      .split("\n")
      .slice(1, -1);
    expect(csv).toEqual([
      `"'=HYPERLINK(""http://x"",""clic"")"`,
      "'+33 1 23 45",
      "'@SUM(A1)",
      "'-2+3",
      "'-cmd|' /C calc'!A0",
      "'\tIl part.",
      `"'\rIl part."`,
    ]);
    const tsv = toTable(
      ["sentence"],
      cells.map((c) => [c]),
      "tsv",
      "\n",
    )
      .split("\n")
      .slice(1, -1);
    // TSV flattens tabs and line breaks to a space first: a space-led cell is no formula.
    expect(tsv).toEqual([
      `'=HYPERLINK("http://x","clic")`,
      "'+33 1 23 45",
      "'@SUM(A1)",
      "'-2+3",
      "'-cmd|' /C calc'!A0",
      " Il part.",
      " Il part.",
    ]);
  });

  it("leaves French dialogue dashes and ordinary sentences as they are", () => {
    for (const format of ["csv", "tsv"] as const) {
      const lines = toTable(
        ["sentence"],
        dialogue.map((c) => [c]),
        format,
        "\n",
      )
        .split("\n")
        .slice(1, -1);
      expect(lines).toEqual(dialogue);
    }
  });
});
