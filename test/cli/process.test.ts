import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { sentenceFacts } from "../../worker/pipeline/facts";
import { segmentSentences } from "../../worker/pipeline/segment";
import { CORPUS, encryptedPdf, novelSource } from "../unit/corpus";
import { sequenceScore, words } from "../unit/metrics";
import { unzipSync } from "fflate";
import { bombPdf, manyItemsPdf } from "../fixtures/hostile-pdf";
import { cli, cliBytes, parseCsv, type Run } from "./run";

const NAME = "maupassant-une-vie-extrait";
const PDF = path.join(CORPUS, "novels", `${NAME}.pdf`);

interface Row {
  text: string;
  page: number;
  paragraph: number;
  word_count: number;
  has_verb: boolean;
}

describe("cli process", () => {
  let source: string;
  let expected: string[];
  let txt: Run;

  beforeAll(async () => {
    source = novelSource(NAME);
    // A perfect extraction gives the sentences of the typeset text itself.
    expected = source.split("\n").flatMap((p) => segmentSentences(p));
    txt = await cli(["process", PDF]);
  });

  it("writes one sentence per line, the book's own sentences", () => {
    expect(txt.code).toBe(0);
    const lines = txt.stdout.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines[0]).toBe("Jeanne, ayant fini ses malles, s’approcha de la fenêtre, mais la pluie ne cessait pas.");
    expect(source.startsWith(lines[0]!)).toBe(true);
    expect(lines).toHaveLength(expected.length);
    expect(lines).toEqual(expected);
    const seq = sequenceScore(words(txt.stdout), words(source));
    expect(seq.recall).toBe(1);
    expect(seq.precision).toBe(1);
  });

  it("summarises on stderr when not a terminal, and is silent with --quiet", async () => {
    expect(txt.stderr).toMatch(new RegExp(`^6 pages, \\d+ paragraphs, ${expected.length} sentences in [\\d.]+s\\n$`));
    const quiet = await cli(["process", PDF, "--quiet"]);
    expect(quiet.stderr).toBe("");
    expect(quiet.stdout).toBe(txt.stdout);
  });

  it("--format json: {text, page, paragraph, word_count, has_verb} for each sentence", async () => {
    const run = await cli(["process", PDF, "-q", "--format", "json"]);
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as Row[];
    expect(rows.map((r) => r.text)).toEqual(expected);
    expect(rows[0]).toEqual({ text: expected[0], page: 1, paragraph: 0, ...sentenceFacts(expected[0]!) });
    for (const r of rows) expect({ word_count: r.word_count, has_verb: r.has_verb }).toEqual(sentenceFacts(r.text));
    // Most of a novel's sentences have a verb; not all ("Oui.", "Quelle pluie !").
    expect(rows.filter((r) => r.has_verb).length).toBeGreaterThan(rows.length * 0.8);
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i]!.page).toBeGreaterThanOrEqual(rows[i - 1]!.page);
      expect(rows[i]!.paragraph).toBeGreaterThanOrEqual(rows[i - 1]!.paragraph);
    }
    expect(rows[rows.length - 1]!.page).toBe(6);
    expect(new Set(rows.map((r) => r.paragraph)).size).toBe(source.split("\n").filter((l) => l.trim()).length);
  });

  it("--format csv and tsv: index,sentence,page,word_count,has_verb with a header", async () => {
    const csv = await cli(["process", PDF, "-q", "-f", "csv"]);
    const rows = parseCsv(csv.stdout);
    expect(rows[0]).toEqual(["index", "sentence", "page", "word_count", "has_verb"]);
    expect(rows.slice(1).map((r) => r[1])).toEqual(expected);
    const first = sentenceFacts(expected[0]!);
    expect(rows[1]).toEqual(["1", expected[0], "1", String(first.word_count), first.has_verb ? "yes" : "no"]);
    expect(new Set(rows.slice(1).map((r) => r[4]))).toEqual(new Set(["yes", "no"]));
    expect(rows[rows.length - 1]![0]).toBe(String(expected.length));

    const tsv = await cli(["process", PDF, "-q", "-f", "tsv"]);
    const lines = tsv.stdout
      .trimEnd()
      .split("\n")
      .map((l) => l.split("\t"));
    expect(lines[0]).toEqual(["index", "sentence", "page", "word_count", "has_verb"]);
    expect(lines.every((l) => l.length === 5)).toBe(true);
    expect(lines.slice(1).map((l) => l[1])).toEqual(expected);
  });

  it("--format anki, xlsx and apkg: the API's renderers, GUIDs from the PDF's bytes, the same every run", async () => {
    const anki = await cli(["process", PDF, "-q", "-f", "anki"]);
    expect(anki.code).toBe(0);
    const lines = anki.stdout.trimEnd().split("\n");
    expect(lines.slice(0, 3)).toEqual(["#separator:tab", "#html:false", "#notetype:French Novel Tool"]);
    const rows = lines.filter((l) => !l.startsWith("#")).map((l) => l.split("\t"));
    expect(rows.map((r) => r[0])).toEqual(expected);
    expect(rows[0]!.slice(2, 4)).toEqual(["1", NAME]);
    expect(rows[0]![5]).toBe(`fnt ${NAME}`);
    expect(new Set(rows.map((r) => r[4])).size).toBe(rows.length);
    // Another run of the same PDF: the same GUIDs, so a re-import updates the notes.
    expect((await cli(["process", PDF, "-q", "-f", "anki"])).stdout).toBe(anki.stdout);

    const xlsx = await cliBytes(["process", PDF, "-q", "-f", "xlsx"]);
    expect(xlsx.code).toBe(0);
    const sheet = new TextDecoder().decode(unzipSync(new Uint8Array(xlsx.stdout))["xl/worksheets/sheet1.xml"]);
    expect(sheet.match(/<row /g)).toHaveLength(expected.length + 1);

    const apkg = await cliBytes(["process", PDF, "-q", "-f", "apkg"]);
    expect(apkg.code).toBe(0);
    const collection = unzipSync(new Uint8Array(apkg.stdout))["collection.anki2"]!;
    const text = new TextDecoder("latin1").decode(collection);
    for (const r of rows) expect(text).toContain(r[4]);
  }, 180_000);

  it("coverage --format anki: the learning set's notes, new words as a column, in the book's learning-set deck", async () => {
    const list = path.join(mkdtempSync(path.join(tmpdir(), "fnt-list-")), "mots.txt");
    writeFileSync(list, "être\navoir\nfaire\ndire\njour\nmère\npère\nyeux\nmer\n");
    const run = await cli(["coverage", PDF, "-q", "-f", "anki", "--wordlist", list]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("#columns:Sentence\tPage\tNew words\tDeck\tGUID\tTags\n");
    const rows = run.stdout
      .trimEnd()
      .split("\n")
      .filter((l) => !l.startsWith("#"))
      .map((l) => l.split("\t"));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r).toHaveLength(6);
      expect(r[2]!.length).toBeGreaterThan(0);
      expect(r.slice(3)).toEqual([`Learning set — ${NAME}`, expect.stringMatching(/^[0-9a-f]{16}$/), `fnt ${NAME}`]);
    }
  }, 120_000);

  it("applies the settings: length limit, minimum length, raw hyphens", async () => {
    const limited = (await cli(["process", PDF, "-q", "--limit-words", "12"])).stdout.trimEnd().split("\n");
    expect(limited.length).toBeGreaterThan(expected.length);
    expect(limited.join(" ")).toBe(expected.join(" "));

    const merged = (await cli(["process", PDF, "-q", "--min-words", "8"])).stdout.trimEnd().split("\n");
    expect(merged.length).toBeLessThan(expected.length);
    expect(merged.join(" ")).toBe(expected.join(" "));

    // The extract's dialogue lines are short: a tight limit is needed to reach them.
    const tight = (await cli(["process", PDF, "-q", "--limit-words", "5"])).stdout.trimEnd().split("\n");
    const spared = (await cli(["process", PDF, "-q", "--limit-words", "5", "--ignore-dialogue"])).stdout.trimEnd().split("\n");
    const line = "-- Si tu parviens à décider ta mère, je veux bien, moi. »";
    expect(tight).not.toContain(line);
    expect(spared).toContain(line);
    expect(spared.length).toBeLessThan(tight.length);

    const raw = await cli(["process", PDF, "-q", "--no-fix-hyphenation"]);
    expect(raw.stdout).toContain("ces-sait");
    expect(txt.stdout).not.toContain("ces-sait");
  });

  it("prints the help", async () => {
    const run = await cli(["process", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("--limit-words");
  });
});

describe("cli process refuses clearly", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "fnt-cli-"));

  const expectError = (run: Run, code: number, message: RegExp) => {
    expect(run.code).toBe(code);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  };

  it("a missing file → exit 1", async () => {
    expectError(await cli(["process", path.join(dir, "nope.pdf")]), 1, /^error: .*nope\.pdf: no such file/);
  });

  it("a file that is not a PDF → exit 1", async () => {
    const file = path.join(dir, "notes.pdf");
    writeFileSync(file, "Ceci n'est pas un PDF.\n");
    expectError(await cli(["process", file]), 1, /not a PDF \(it does not start with %PDF-\)/);
  });

  it("a password-protected PDF → exit 1", async () => {
    const file = path.join(dir, "locked.pdf");
    writeFileSync(file, encryptedPdf());
    expectError(await cli(["process", file]), 1, /password-protected.*\(encrypted_pdf\)/);
  });

  it("a PDF whose stream inflates to 1 GiB, or whose page draws a million text items → exit 1, before the bytes are inflated", async () => {
    const bomb = path.join(dir, "bomb.pdf");
    writeFileSync(bomb, await bombPdf({ inflated: 1024 * 1024 * 1024, chained: true }));
    expectError(await cli(["process", bomb]), 1, /on page 2 decompresses to more than 4 MB.*\(pdf_stream_too_large\)/);
    const items = path.join(dir, "items.pdf");
    writeFileSync(items, manyItemsPdf(1_000_000));
    expectError(
      await cli(["process", items]),
      1,
      /Page 2 of this PDF is drawn as more than 20,000 separate pieces of text.*\(too_many_text_items\)/,
    );
  });

  it("a scan without a text layer → exit 1", async () => {
    expectError(await cli(["process", path.join(CORPUS, "novels", `${NAME}.scan.pdf`)]), 1, /no text layer.*\(no_text_layer\)/);
  });

  it("wrong command lines → exit 2, values checked by the API's schema", async () => {
    expectError(await cli(["process", PDF, "--limit-words", "501"]), 2, /--limit-words must be at most 500/);
    expectError(await cli(["process", PDF, "--min-words", "two"]), 2, /--min-words must be a whole number from 0 to 50/);
    expectError(await cli(["process", PDF, "--format", "xml"]), 2, /--format must be one of txt, json, csv, tsv/);
    expectError(await cli(["process", PDF, "--bogus"]), 2, /unknown option --bogus/);
    expectError(await cli(["process"]), 2, /process needs a PDF file/);
    expectError(await cli(["frobnicate"]), 2, /unknown command "frobnicate"/);
  });
});
