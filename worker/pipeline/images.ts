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
    else if (type === "tRNS") return null; // transparency needs decoding
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
