/**
 * An Excel workbook (.xlsx) of one sheet: a bold, frozen header row, then the rows, every cell
 * text (an inline string in a cell formatted "@"): a sentence that starts with `=` stays text,
 * never a formula, and a page number stays as written.
 *
 * Written by hand, the few OOXML parts a workbook needs, zipped by fflate (MIT) as the rows come:
 * the libraries that write .xlsx (exceljs, SheetJS, write-excel-file) are heavier in the Worker's
 * bundle (already 2.76 MB gzipped of the free plan's 3 MB, `npm run check:bundles`) and build the
 * whole sheet in memory first; this keeps a 1,000-page book (tens of thousands
 * of rows) to the zip's output plus one batch of rows. Measured (Node 24, 60,000 rows of 16-word
 * sentences): ~25 MB of heap and array buffers besides the rows, ~47 MB of RSS, a 2.6 MB file, ~4 s
 * of CPU (fflate's deflate in JS; the Worker's cpu_ms is 300,000); test/unit/exports.test.ts checks the memory.
 */
export const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
import { Zip, ZipDeflate } from "fflate";

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

const STATIC: Record<string, string> = {
  "[Content_Types].xml":
    `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
    '<Default Extension="xml" ContentType="application/xml"/>' +
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' +
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
    "</Types>",
  "_rels/.rels":
    `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
    `<Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
  "xl/_rels/workbook.xml.rels":
    `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
    `<Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/>` +
    `<Relationship Id="rId2" Type="${REL}/styles" Target="styles.xml"/></Relationships>`,
  // Style 0: the default; 1: bold text (the header); 2: text (numFmt 49 is "@").
  "xl/styles.xml":
    `${XML}<styleSheet xmlns="${NS}">` +
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>' +
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
    '<xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyNumberFormat="1"/>' +
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1"><alignment wrapText="1" vertical="top"/></xf></cellXfs>' +
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
};

/**
 * The zip entries' date: fixed, so the same rows give the same bytes (the API's file and the
 * CLI's). Local midnight: fflate writes local time, so every time zone writes the same bytes.
 */
const MTIME = new Date(2020, 0, 1);

/** Excel's limit of one cell's text. */
const MAX_CELL = 32767;

/** XML text: escaped, without the characters XML 1.0 cannot hold (control characters, lone surrogates). */
export function xmlText(s: string): string {
  return (
    s
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters XML 1.0 cannot hold are removed
      .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "")
      .slice(0, MAX_CELL)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
  );
}

/** Column letters: 0 → A, 25 → Z, 26 → AA. */
const column = (i: number): string => (i < 26 ? "" : column(Math.floor(i / 26) - 1)) + String.fromCharCode(65 + (i % 26));

const cell = (ref: string, style: number, value: string | number) =>
  `<c r="${ref}" s="${style}" t="inlineStr"><is><t xml:space="preserve">${xmlText(String(value))}</t></is></c>`;

/** Rows turned to XML and compressed this many at a time (~2 MB of XML; smaller batches deflate slower). */
const BATCH = 5000;

/**
 * The workbook's bytes: `header` in bold on a frozen first row, then `rows`, every cell text.
 * `widths` are the columns' widths in characters (Excel's default when absent).
 */
export function toXlsx(
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  opts: { sheet?: string; widths?: readonly number[] } = {},
): Uint8Array<ArrayBuffer> {
  const out: Uint8Array[] = [];
  const zip = new Zip((err, data) => {
    if (err) throw err;
    out.push(data);
  });
  const enc = new TextEncoder();
  const add = (name: string, text: string) => {
    const f = new ZipDeflate(name, { level: 6 });
    f.mtime = MTIME;
    zip.add(f);
    f.push(enc.encode(text), true);
  };
  for (const [name, text] of Object.entries(STATIC)) add(name, text);
  const sheetName = xmlText((opts.sheet ?? "Sentences").replace(/[\\/?*[\]:]/g, " ").slice(0, 31)) || "Sentences";
  add(
    "xl/workbook.xml",
    `${XML}<workbook xmlns="${NS}" xmlns:r="${REL}"><sheets><sheet name="${sheetName}" sheetId="1" r:id="rId1"/></sheets></workbook>`,
  );

  const sheet = new ZipDeflate("xl/worksheets/sheet1.xml", { level: 6 });
  sheet.mtime = MTIME;
  zip.add(sheet);
  const cols = opts.widths?.length
    ? `<cols>${opts.widths.map((w, i) => `<col min="${i + 1}" max="${i + 1}" width="${w}" customWidth="1"/>`).join("")}</cols>`
    : "";
  const last = column(Math.max(header.length, 1) - 1);
  sheet.push(
    enc.encode(
      `${XML}<worksheet xmlns="${NS}" xmlns:r="${REL}"><dimension ref="A1:${last}${rows.length + 1}"/>` +
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' +
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>' +
        `<sheetFormatPr defaultRowHeight="15"/>${cols}<sheetData>` +
        `<row r="1">${header.map((h, i) => cell(`${column(i)}1`, 1, h)).join("")}</row>`,
    ),
  );
  for (let start = 0; start < rows.length; start += BATCH) {
    let xml = "";
    for (let r = start; r < Math.min(start + BATCH, rows.length); r++) {
      const n = r + 2;
      xml += `<row r="${n}">${rows[r]!.map((v, i) => cell(`${column(i)}${n}`, 2, v)).join("")}</row>`;
    }
    sheet.push(enc.encode(xml));
  }
  sheet.push(enc.encode(`</sheetData></worksheet>`), true);
  zip.end();

  const size = out.reduce((n, c) => n + c.length, 0);
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of out) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}
