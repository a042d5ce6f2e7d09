import {
  concatTransformationMatrix,
  drawObject,
  PDFArray,
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFNumber,
  popGraphicsState,
  pushGraphicsState,
} from "pdf-lib";
import { PipelineError } from "./errors";

/**
 * Page images (PNG or JPEG, one page each) become PDFs of a few pages, so they are read
 * exactly like the page ranges of a scanned PDF. Images are embedded one at a time and
 * without decoding where the PDF format allows (JPEG as is, most PNGs as their own
 * compressed data), so memory stays near the size of the files.
 */

export type ImageType = "png" | "jpg";

export const IMAGE_CONTENT_TYPES: Record<ImageType, string> = { png: "image/png", jpg: "image/jpeg" };

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];
/** Bytes `sniffImage` needs to decide. */
export const IMAGE_SNIFF_BYTES = PNG_SIGNATURE.length;

/** The image type by content (never by name or declared type), or null. */
export function sniffImage(head: Uint8Array): ImageType | null {
  const starts = (sig: number[]) => head.length >= sig.length && sig.every((b, i) => head[i] === b);
  if (starts(PNG_SIGNATURE)) return "png";
  if (starts(JPEG_SIGNATURE)) return "jpg";
  return null;
}

/**
 * The most pixels a page image may have: a page scanned at 600 dpi is ~35 megapixels (A4:
 * 4,960 × 7,016). Decoding is what costs (4 bytes a pixel: 50 MP is 200 MB, past a Worker's
 * 128 MB), so a bigger one is refused at upload from its header, before anything decodes it.
 */
export const MAX_IMAGE_PIXELS = 50_000_000;

/**
 * Width and height from the image's header (PNG IHDR; JPEG's first SOF marker), without
 * decoding; null when the header cannot be read (the damaged image fails the job later, as before).
 */
export function imageDimensions(bytes: Uint8Array, type: ImageType): { width: number; height: number } | null {
  const u16 = (i: number) => (bytes[i]! << 8) | bytes[i + 1]!;
  const u32 = (i: number) => ((bytes[i]! << 24) >>> 0) + (bytes[i + 1]! << 16) + (bytes[i + 2]! << 8) + bytes[i + 3]!;
  if (type === "png") {
    // Signature (8), chunk length (4), "IHDR" (4), width (4), height (4).
    const ihdr = bytes.length >= 24 && bytes[12] === 0x49 && bytes[13] === 0x48 && bytes[14] === 0x44 && bytes[15] === 0x52;
    return ihdr ? { width: u32(16), height: u32(20) } : null;
  }
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    // Markers without a length: TEM, RSTn, SOI, EOI.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) {
      i += 2;
      continue;
    }
    // Start of frame (any coding but DHT C4, JPG C8, DAC CC): precision (1), height (2), width (2).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { width: u16(i + 7), height: u16(i + 5) };
    }
    i += 2 + u16(i + 2);
  }
  return null;
}

export interface PageImage {
  bytes: Uint8Array;
  type: ImageType;
  /** For error messages: the page number in the book and the name it was uploaded under. */
  page: number;
  filename?: string;
}

/** PDF viewers (and Acrobat's implementation limit) stop at 200 inches a side. */
const MAX_PAGE_POINTS = 14_400;

/** A page the size of its image, one pixel a point (72 dpi), scaled down only past the PDF limit. */
function pageSize(width: number, height: number): [number, number] {
  const scale = Math.min(1, MAX_PAGE_POINTS / Math.max(width, height));
  return [width * scale, height * scale];
}

/** One PDF with a page per image, in the order given. */
export async function imagesToPdf(images: Iterable<PageImage> | AsyncIterable<PageImage>): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  for await (const image of images) {
    try {
      await addImagePage(doc, image);
    } catch (err) {
      if (err instanceof PipelineError) throw err;
      const name = image.filename ? ` (${image.filename})` : "";
      const kind = image.type === "png" ? "PNG" : "JPEG";
      throw new PipelineError("invalid_image", `Page ${image.page}${name} could not be read as a ${kind} image. It may be damaged.`);
    }
  }
  return doc.save();
}

async function addImagePage(doc: PDFDocument, image: PageImage): Promise<void> {
  const raw = image.type === "png" ? pngAsPdfImage(image.bytes) : null;
  if (raw) {
    const [w, h] = pageSize(raw.width, raw.height);
    const ref = doc.context.register(doc.context.stream(raw.data, raw.dict(doc)));
    const page = doc.addPage([w, h]);
    const name = page.node.newXObject("Image", ref);
    page.pushOperators(pushGraphicsState(), concatTransformationMatrix(w, 0, 0, h, 0, 0), drawObject(name), popGraphicsState());
    return;
  }
  const embedded = image.type === "jpg" ? await doc.embedJpg(image.bytes) : await doc.embedPng(image.bytes);
  // Embedding now (not at save) lets the decoded pixels of a PNG go before the next image.
  await embedded.embed();
  const [w, h] = pageSize(embedded.width, embedded.height);
  doc.addPage([w, h]).drawImage(embedded, { x: 0, y: 0, width: w, height: h });
}

interface RawPdfImage {
  width: number;
  height: number;
  data: Uint8Array;
  dict: (doc: PDFDocument) => Parameters<PDFDocument["context"]["stream"]>[1];
}

/**
 * A PNG's compressed data is a zlib stream of rows with PNG filters, which PDF's
 * FlateDecode reads as is with predictor 15. That covers grey, RGB and palette images
 * without interlacing or transparency (scans, as a rule); the rest is left to pdf-lib,
 * which decodes them. Null when this PNG needs decoding.
 */
export function pngAsPdfImage(bytes: Uint8Array): RawPdfImage | null {
  if (sniffImage(bytes) !== "png") throw new Error("not a PNG");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let ihdr: { width: number; height: number; depth: number; color: number; interlace: number } | undefined;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let idatBytes = 0;
  let ended = false;
  for (let off = PNG_SIGNATURE.length; off + 8 <= bytes.length; ) {
    const length = view.getUint32(off);
    const type = String.fromCharCode(...bytes.subarray(off + 4, off + 8));
    const start = off + 8;
    const end = start + length;
    if (end + 4 > bytes.length) throw new Error("truncated PNG chunk");
    const data = bytes.subarray(start, end);
    if (type === "IHDR") {
      if (length < 13) throw new Error("bad IHDR");
      ihdr = { width: view.getUint32(start), height: view.getUint32(start + 4), depth: data[8]!, color: data[9]!, interlace: data[12]! };
    } else if (type === "PLTE") palette = data;
    else if (type === "tRNS")
      return null; // transparency needs decoding
    else if (type === "IDAT") {
      idat.push(data);
      idatBytes += data.length;
    } else if (type === "IEND") {
      ended = true;
      break;
    }
    off = end + 4; // skip the CRC
  }
  if (!ihdr || !ended || idatBytes === 0 || ihdr.width === 0 || ihdr.height === 0) throw new Error("incomplete PNG");
  const { width, height, depth, color, interlace } = ihdr;
  if (interlace !== 0 || ![0, 2, 3].includes(color)) return null;
  if (color === 3 && (!palette || palette.length % 3 !== 0 || palette.length === 0)) throw new Error("palette missing");
  const colors = color === 2 ? 3 : 1;
  const data = new Uint8Array(idatBytes);
  let at = 0;
  for (const d of idat) {
    data.set(d, at);
    at += d.length;
  }
  return {
    width,
    height,
    data,
    dict: (doc) => {
      let colorSpace: string | PDFArray = color === 2 ? "DeviceRGB" : "DeviceGray";
      if (color === 3) {
        const hex = Array.from(palette!, (b) => b.toString(16).padStart(2, "0")).join("");
        colorSpace = PDFArray.withContext(doc.context);
        colorSpace.push(PDFName.of("Indexed"));
        colorSpace.push(PDFName.of("DeviceRGB"));
        colorSpace.push(PDFNumber.of(palette!.length / 3 - 1));
        colorSpace.push(PDFHexString.of(hex));
      }
      return {
        Type: "XObject",
        Subtype: "Image",
        Width: width,
        Height: height,
        ColorSpace: colorSpace,
        BitsPerComponent: depth,
        Filter: "FlateDecode",
        DecodeParms: { Predictor: 15, Colors: colors, BitsPerComponent: depth, Columns: width },
      };
    },
  };
}
