/**
 * Generated inputs for bench/memory.ts, cached under the system temp dir: text books
 * (pdf-lib, Times, ~2,270 characters of French-like text a page with a running header and a
 * page number), the same with a picture of noise on every page (to a given size), scans of a
 * given size (pages that are each one grey PNG of random noise, so nothing compresses away),
 * and any of them cut into parts.
 */
import { randomFillSync } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { crc32, deflateSync } from "node:zlib";
import { PDFDocument, PDFName, StandardFonts } from "pdf-lib";
import { imagesToPdf, type PageImage } from "../worker/pipeline/images";
import { subsetPdf } from "../worker/pipeline/scan";

const MIB = 1024 * 1024;
// Bump when the generators change, so stale cached files are not reused.
const VERSION = "v1";
export const CACHE_DIR = path.join(os.tmpdir(), "fnt-bench-memory");

/** Each scan page is one 724×724 8-bit grey image: 0.5 MiB of noise. */
const SCAN_SIDE = 724;
export const SCAN_PAGE_BYTES = SCAN_SIDE * (SCAN_SIDE + 1);

async function cached(name: string, make: () => Promise<Uint8Array>): Promise<string> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const file = path.join(CACHE_DIR, `${VERSION}-${name}`);
  if (existsSync(file) && statSync(file).size > 0) return file;
  process.stderr.write(`generating ${file}…\n`);
  const bytes = await make();
  writeFileSync(`${file}.tmp`, bytes);
  renameSync(`${file}.tmp`, file);
  return file;
}

// ---- text book ----

/** mulberry32: a small seeded PRNG so the book is the same on every machine. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// WinAnsi-safe (Times' encoding): accents, œ, « », ’ all encode.
const WORDS = (
  "le la les un une des du de et à en dans sur sous avec pour par sans vers chez mais donc ou ni car " +
  "il elle ils elles on nous vous je tu lui leur son sa ses notre votre mon ma mes qui que dont où " +
  "était avait fut sera serait peut devait voulait savait disait regardait marchait attendait " +
  "maison jardin rivière montagne village château fenêtre chemin forêt océan navire capitaine " +
  "matelot enfant vieillard femme homme père mère frère sœur ami voyageur lettre journal " +
  "soir matin nuit jour année heure moment silence lumière ombre pluie vent tempête neige " +
  "lentement doucement soudain toujours jamais encore déjà bientôt longtemps aujourd’hui " +
  "grand petit vieux jeune beau sombre clair profond étrange tranquille inquiet heureux " +
  "extraordinaire mélancolique inévitablement considérablement particulièrement " +
  "cœur âme pensée souvenir espérance inquiétude bonheur tristesse colère tendresse"
).split(" ");

function sentence(r: () => number): string {
  const n = 6 + Math.floor(r() * 18);
  const words: string[] = [];
  for (let i = 0; i < n; i++) {
    let w = WORDS[Math.floor(r() * WORDS.length)]!;
    if (i > 2 && i < n - 2 && r() < 0.08) w += ",";
    words.push(w);
  }
  words[0] = words[0]!.charAt(0).toUpperCase() + words[0]!.slice(1);
  const end = r();
  const s = words.join(" ") + (end < 0.8 ? "." : end < 0.9 ? " !" : " ?");
  return r() < 0.07 ? `« ${s} »` : s;
}

export async function textBook(pages = 1000): Promise<string> {
  return cached(`text-book-${pages}p.pdf`, async () => {
    const r = rng(14);
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.TimesRoman);
    const [W, H] = [420, 595];
    const [left, right, top, bottom] = [50, 370, 535, 70];
    const size = 11;
    const leading = 13.5;
    const width = (s: string) => font.widthOfTextAtSize(s, size);
    let para: string[] = [];
    let firstLine = true;
    for (let p = 1; p <= pages; p++) {
      const page = doc.addPage([W, H]);
      const chapter = Math.ceil(p / 25);
      const header = p % 2 === 0 ? "LE VOYAGE IMMOBILE" : `CHAPITRE ${chapter}`;
      page.drawText(header, { x: (W - font.widthOfTextAtSize(header, 9)) / 2, y: 560, size: 9, font });
      page.drawText(String(p), { x: (W - font.widthOfTextAtSize(String(p), 9)) / 2, y: 40, size: 9, font });
      let y = top;
      if (p % 25 === 1) {
        const title = `Chapitre ${chapter}`;
        page.drawText(title, { x: (W - font.widthOfTextAtSize(title, 16)) / 2, y: y - 20, size: 16, font });
        y -= 60;
        para = [];
        firstLine = true;
      }
      while (y >= bottom) {
        if (para.length === 0) {
          const n = 3 + Math.floor(r() * 6);
          para = Array.from({ length: n }, () => sentence(r))
            .join(" ")
            .split(" ");
          firstLine = true;
        }
        const indent = firstLine ? 18 : 0;
        const room = right - left - indent;
        let line = "";
        while (para.length > 0) {
          const next = line ? `${line} ${para[0]}` : para[0]!;
          if (width(next) <= room) {
            line = next;
            para.shift();
            continue;
          }
          // A long word that does not fit is hyphenated, as a typesetter would.
          const w = para[0]!;
          if (w.length >= 9 && /^[\p{L}]+$/u.test(w)) {
            const cut = Math.floor(w.length / 2);
            const head = `${line ? `${line} ` : ""}${w.slice(0, cut)}-`;
            if (width(head) <= room) {
              line = head;
              para[0] = w.slice(cut);
            }
          }
          break;
        }
        page.drawText(line, { x: left + indent, y, size, font });
        firstLine = false;
        y -= leading;
      }
    }
    return doc.save();
  });
}

// ---- illustrated books and parts ----

/**
 * The text book of `pages` pages with a small picture of noise on every page, to about `mib`
 * MiB in all: a file as big as a scan that is also a book of text (an illustrated edition).
 */
export async function illustratedBook(pages: number, mib: number): Promise<string> {
  const text = await textBook(pages);
  return cached(`illustrated-${pages}p-${mib}mib.pdf`, async () => {
    const doc = await PDFDocument.load(readFileSync(text));
    const perPage = Math.max(1, (mib * MIB - statSync(text).size) / pages);
    const side = Math.max(1, Math.floor(Math.sqrt(perPage / 3)));
    for (const page of doc.getPages()) {
      const image = await doc.embedPng(noisePng(side, "rgb"));
      page.drawImage(image, { x: 300, y: 560, width: 20, height: 20 });
    }
    return doc.save();
  });
}

/** A PDF cut into `count` parts of consecutive pages (as a client sends a book in parts). */
export async function parts(file: string, count: number): Promise<string[]> {
  const src = await PDFDocument.load(readFileSync(file));
  const total = src.getPageCount();
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const from = Math.floor((i * total) / count);
    const to = Math.floor(((i + 1) * total) / count);
    out.push(
      await cached(`${path.basename(file, ".pdf").replace(/^v\d+-/, "")}-part${i + 1}of${count}.pdf`, () =>
        subsetPdf(src, from, to - from),
      ),
    );
  }
  return out;
}

// ---- scans ----

/** A grey (or RGB) PNG of noise, side × side, rows unfiltered: valid, and PDF reads its IDAT as is. */
function noisePng(side: number, colour: "grey" | "rgb" = "grey"): Uint8Array {
  const row = side * (colour === "rgb" ? 3 : 1) + 1;
  const raw = new Uint8Array(side * row);
  randomFillSync(raw);
  for (let y = 0; y < side; y++) raw[y * row] = 0; // filter type None
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 8; // depth
  ihdr[9] = colour === "rgb" ? 2 : 0; // colour type
  return png(ihdr, deflateSync(raw, { level: 1 }));
}

function png(ihdr: Uint8Array, idat: Uint8Array): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, "latin1");
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
    return Buffer.concat([head, data, crc]);
  };
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", idat),
    chunk("IEND", new Uint8Array(0)),
  ]);
}

/** A scan of about `mib` MiB: one noise image per page, through the pipeline's own imagesToPdf. */
export async function scan(mib: number): Promise<string> {
  return scanPages(Math.max(1, Math.round((mib * MIB) / SCAN_PAGE_BYTES)), `${mib}mib-`);
}

/** The biggest scan of whole pages that a file of at most `bytes` holds. */
export async function scanUpTo(bytes: number): Promise<string> {
  // A page takes its image and a few hundred bytes of PDF around it.
  const pages = Math.floor(bytes / (SCAN_PAGE_BYTES * 1.01));
  const file = await scanPages(pages, `max${bytes}-`);
  if (statSync(file).size > bytes) throw new Error(`${file} is over ${bytes} bytes`);
  return file;
}

async function scanPages(pages: number, tag: string): Promise<string> {
  return cached(`scan-${tag}${pages}p.pdf`, async () => {
    async function* images(): AsyncGenerator<PageImage> {
      for (let page = 1; page <= pages; page++) yield { bytes: noisePng(SCAN_SIDE), type: "png", page };
    }
    // Holds the pages until save (about twice the file at the end): fine for a generator.
    return imagesToPdf(images());
  });
}

export function fileMiB(file: string): number {
  return statSync(file).size / MIB;
}

// ---- hostile PDFs (issue 22: memory, refuse before decoding) ----

/** The hostile PDFs bench/memory.ts measures: small files that cost pdf.js far more than their size (test/fixtures/hostile-pdf.ts). */
export type HostileName =
  | "bomb"
  | "chained-bomb"
  | "tounicode-bomb"
  | "objstm-bomb"
  | "million-items"
  | "book-then-bomb"
  | "book-then-items";

export async function hostile(name: HostileName): Promise<string> {
  const { bombPdf, manyItemsPdf, objStmBombPdf } = await import("../test/fixtures/hostile-pdf");
  const GIB = 1024 * MIB;
  return cached(`hostile-${name}.pdf`, async () => {
    if (name === "bomb") return bombPdf({ inflated: 10 * GIB });
    if (name === "chained-bomb") return bombPdf({ inflated: 10 * GIB, chained: true });
    if (name === "tounicode-bomb") return bombPdf({ inflated: 1 * GIB, where: "tounicode" });
    if (name === "objstm-bomb") return objStmBombPdf(10 * GIB);
    if (name === "million-items") return manyItemsPdf(1_000_000);
    // The longest text book a file its size may hold, then one more page: the worst moment to
    // meet the bomb (chained: a few KB, so the book keeps its pages) or the items.
    const { allowedText, TEXT_LIMITS } = await import("../worker/pipeline/extract");
    let pages = TEXT_LIMITS.maxPages;
    for (;;) {
      const bytes = await bookThen(name, pages - 1);
      const fits = allowedText(TEXT_LIMITS, bytes.length).pages;
      if (fits >= pages) return bytes;
      pages = fits;
    }
  });
}

/** The text book of `pages` pages, then a page drawn by the bomb or the million items. */
async function bookThen(name: "book-then-bomb" | "book-then-items", pages: number): Promise<Uint8Array> {
  const { bombStream, manyItemsStreams } = await import("../test/fixtures/hostile-pdf");
  const doc = await PDFDocument.load(readFileSync(await textBook(pages)));
  const page = doc.addPage([420, 595]);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  page.drawText("x", { x: 10, y: 10, size: 1, font }); // gives the page its font (as pdf-lib names it)
  const fonts = page.node.normalizedEntries().Font;
  const fontName = fonts.keys()[0]!;
  let contents: Uint8Array;
  let filters = ["FlateDecode"];
  if (name === "book-then-bomb") ({ filters, data: contents } = await bombStream({ inflated: 10 * 1024 * MIB, chained: true }));
  else {
    const { form, page: drawn } = manyItemsStreams(1_000_000, fontName.asString().slice(1), "Fm");
    const formRef = doc.context.register(
      doc.context.stream(form, {
        Type: "XObject",
        Subtype: "Form",
        BBox: [0, 0, 420, 595],
        Resources: { Font: { [fontName.asString().slice(1)]: fonts.get(fontName)! } },
        Filter: "FlateDecode",
      }),
    );
    page.node.normalizedEntries().XObject.set(PDFName.of("Fm"), formRef);
    contents = drawn;
  }
  const raw = doc.context.stream(contents, { Filter: filters.length === 1 ? filters[0] : filters });
  page.node.set(PDFName.of("Contents"), doc.context.register(raw));
  return doc.save({ useObjectStreams: false });
}

/** The text book a `book-then-…` input begins with (its pages but the last), for the reference row. */
export async function bookOf(name: "book-then-bomb" | "book-then-items"): Promise<string> {
  const doc = await PDFDocument.load(readFileSync(await hostile(name)), { updateMetadata: false });
  return textBook(doc.getPageCount() - 1);
}
