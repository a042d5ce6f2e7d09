/**
 * Streams a multipart/form-data PDF upload into R2 without holding the file:
 * at most one 8 MiB part is buffered (a Worker has 128 MB, books reach 100 MiB).
 * Nothing becomes visible in R2 until the whole form has been read and
 * validated; every failure aborts the multipart upload.
 *
 * A book may come as several PDFs in order (its parts, each a consecutive page range):
 * each is stored as its own object as soon as the next begins (so one buffer at a time),
 * and a failure anywhere deletes those already stored.
 *
 * Page images (optional, instead of the PDF) are small enough to hold one at a time:
 * each goes to R2 as soon as it has arrived, and a failure deletes those already stored.
 */
import type { StoredFile, StoredImage } from "../core/stored";
import { IMAGE_CONTENT_TYPES, IMAGE_SNIFF_BYTES, imageDimensions, MAX_IMAGE_PIXELS, sniffImage, type ImageType } from "../pipeline/images";
import { ApiError } from "../core/errors";
import { getBoundary, MultipartError, parseMultipart, type MultipartPart } from "./multipart";
import { deleteKeys } from "../jobs/files";
import { tooLarge as tooLargeFile } from "../jobs/part-limits";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { joinBytes } from "../core/bytes";

/** R2 wants equal-sized parts of at least 5 MiB except the last, which may be smaller. */
export const PART_SIZE = 8 * 1024 * 1024;
const FORM_OVERHEAD = 64 * 1024;
const MAX_FIELD_BYTES = 16 * 1024;
/** PDF readers accept "%PDF-" within the first 1024 bytes. */
const SNIFF_BYTES = 1024 + 5;
const PDF_MAGIC = new TextEncoder().encode("%PDF-");

export interface UploadOptions {
  /** Limit of the file (of all files together, when several are accepted), or of all page images together. */
  maxBytes: number;
  /** The error for going over maxBytes, when another limit than the file size set it (a quota). */
  overLimit?: (field: string) => ApiError;
  fileField: string;
  /** Limit of one PDF (MAX_PART_BYTES): over it, 413 too_large saying how to send parts. */
  maxFileBytes?: number;
  /** Accept several PDFs in `fileField`, in order (a book in parts); file n ≥ 2 goes to `key(n)`. */
  files?: { max: number; key: (n: number) => string };
  /** A form without any file is accepted when this says so (a job whose parts come later). */
  allowNoFile?: (fields: Record<string, string>) => boolean;
  /** Accept page images (one part per page, in order) in place of the file. */
  images?: ImageUploadOptions;
}

export interface ImageUploadOptions {
  field: string;
  maxPages: number;
  maxImageBytes: number;
  /** Where page `page` (1-based) is stored. */
  key: (page: number, type: ImageType) => string;
}

export type { StoredFile, StoredImage };

export interface UploadResult {
  fields: Record<string, string>;
  /**
   * The (first) PDF's name, key and hash, and the size of all files; for page images the first
   * image's name ("" if it had none) and the size of all; empty when no file was sent (allowNoFile).
   */
  file: { filename: string; size: number /** Where the PDF was stored. */; key?: string /** Hex SHA-256 of the PDF. */; sha256?: string };
  /** Where several PDFs were accepted (`files`): every PDF stored, in the order sent (none for page images). */
  files?: StoredFile[];
  /** Present when the upload was page images, in page order; every one is stored in R2. */
  images?: StoredImage[];
}

/**
 * `key` is where the file goes; a function decides it when the file part begins, from the
 * form fields read so far (and may refuse the upload there, before any byte is stored).
 */
export async function receiveUpload(
  request: Request,
  bucket: R2Bucket,
  key: string | ((fieldsSoFar: Record<string, string>) => Promise<string>),
  opts: UploadOptions,
): Promise<UploadResult> {
  const field = opts.fileField;
  const boundary = getBoundary(request.headers.get("content-type"));
  if (!boundary) {
    throw new ApiError(415, "unsupported_media_type", `Send the upload as multipart/form-data with the PDF in the field ${field}.`);
  }
  const declared = Number(request.headers.get("content-length") ?? NaN);
  const maxFiles = opts.files?.max ?? 1;
  // Each page image or part brings its own part headers.
  const overhead = FORM_OVERHEAD + (opts.images ? opts.images.maxPages * 512 : 0) + maxFiles * 512;
  if (declared > opts.maxBytes + overhead) throw tooLarge(opts);
  // Where only one file is accepted, a body over the file limit cannot hold a file within it.
  if (maxFiles === 1 && !opts.images && opts.maxFileBytes !== undefined && declared > opts.maxFileBytes + overhead) {
    throw tooLargeFile(opts.maxFileBytes, field);
  }

  const fields = Object.create(null) as Record<string, string>;
  let sink: PdfSink | undefined;
  // Files already complete and stored (each committed when the next one began).
  const stored: StoredFile[] = [];
  let storedBytes = 0;
  const finish = async (s: PdfSink) => {
    if (s.size === 0) {
      throw new ApiError(400, "empty_file", maxFiles > 1 ? `Part ${s.n} (${s.filename}) is empty.` : "The uploaded file is empty.", field);
    }
    // Recorded before the commit, so a commit that fails half-way is still cleaned up.
    stored.push({ n: s.n, key: s.key, filename: s.filename, size: s.size, sha256: s.digest() });
    storedBytes += s.size;
    await s.commit();
  };
  const images = opts.images ? new ImageStore(bucket, opts.images, opts) : undefined;
  const maxParts = 50 + (images ? images.maxPages : 0) + maxFiles;
  try {
    for await (const part of parseMultipart(request.body ?? new Blob([]).stream(), boundary, { maxParts })) {
      if (part.name === field) {
        if (images?.count && part.filename !== "") throw mixed(field, images.field);
        if (sink && !sink.noFileChosen) {
          if (maxFiles === 1) throw new ApiError(400, "too_many_files", `Send a single file in the form field ${field}.`, field);
          const previous = sink;
          sink = undefined;
          await finish(previous);
        } else {
          await sink?.abort(); // a file input left empty
        }
        const n = stored.length + 1;
        if (n > maxFiles) throw new ApiError(413, "too_many_files", `At most ${maxFiles} PDF parts can be sent in one job.`, field);
        const at = n === 1 ? (typeof key === "string" ? key : await key({ ...fields })) : opts.files!.key(n);
        sink = new PdfSink(bucket, at, part.filename, opts, n, storedBytes);
        await sink.consume(part.body);
        if (images?.count && !sink.noFileChosen) throw mixed(field, images.field);
      } else if (images && part.name === images.field) {
        const stored = await images.receive(part);
        if (stored && sink && !sink.noFileChosen) throw mixed(field, images.field);
      } else if (part.filename !== undefined) {
        const message = images
          ? `Files are accepted only in the form fields ${field} (a PDF) or ${images.field} (page images).`
          : `Only one file is accepted, in the form field ${field}.`;
        throw new ApiError(400, "unexpected_file", message, part.name);
      } else {
        const value = await part.text(MAX_FIELD_BYTES).catch((err: unknown) => {
          if (err instanceof MultipartError && err.code === "limit") {
            throw new ApiError(400, "field_too_large", `The field ${part.name} is longer than 16 KiB.`, part.name);
          }
          throw err;
        });
        if (!(part.name in fields)) fields[part.name] = value;
      }
    }
    if (images?.count) {
      await sink?.abort(); // a file input left empty beside the images
      const first = images.stored[0]!;
      return { fields: { ...fields }, file: { filename: first.filename, size: images.size }, images: images.stored };
    }
    if (sink && !sink.noFileChosen) {
      const last = sink;
      sink = undefined;
      await finish(last);
    }
    await sink?.abort();
    sink = undefined;
    const first = stored[0];
    if (!first) {
      if (opts.allowNoFile?.({ ...fields })) return { fields: { ...fields }, file: { filename: "", size: 0 }, files: [] };
      const what = images ? `the PDF as the form field ${field}, or page images as ${images.field}` : `the PDF as the form field ${field}`;
      throw new ApiError(400, "missing_file", `Attach ${what}.`, field);
    }
    return {
      fields: { ...fields },
      file: { filename: first.filename, size: storedBytes, key: first.key, sha256: first.sha256 },
      ...(opts.files ? { files: [...stored] } : {}),
    };
  } catch (err) {
    await sink?.abort();
    await deleteKeys(
      bucket,
      stored.map((s) => s.key),
    ).catch(() => undefined);
    await images?.discard();
    if (err instanceof MultipartError) {
      throw new ApiError(400, "malformed_upload", `The upload is not valid multipart/form-data: ${err.message}`);
    }
    throw err;
  }
}

const mixed = (field: string, imageField: string) =>
  new ApiError(400, "mixed_files", `Send either a PDF in ${field} or page images in ${imageField}, not both.`, imageField);

const tooManyPages = (o: { field: string; maxPages: number }) =>
  new ApiError(413, "too_many_pages", `At most ${o.maxPages} page images can be sent in one job.`, o.field);

const megabytes = (bytes: number) => {
  const mb = bytes / (1024 * 1024);
  return Number(mb >= 1 ? mb.toFixed(1) : mb.toPrecision(2));
};

function tooLarge(opts: UploadOptions): ApiError {
  if (opts.overLimit) return opts.overLimit(opts.fileField);
  return new ApiError(413, "file_too_large", `The file is larger than the ${megabytes(opts.maxBytes)} MB limit.`, opts.fileField);
}

/** A display name: no client-side directories or control characters, bounded for R2 metadata. */
export function cleanFilename(raw: string | undefined, fallback: string): string {
  const base = (raw ?? "").split(/[/\\]/).pop() ?? "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what a filename must not keep
  const controls = /[\u0000-\u001f\u007f]/g;
  const clean = base.replace(controls, "").trim().slice(0, 200);
  return clean || fallback;
}

/**
 * Page images, each read whole (they are capped well below a Worker's memory), checked
 * by content and put in R2 before the next is read.
 */
class ImageStore {
  readonly stored: StoredImage[] = [];
  size = 0;

  constructor(
    private readonly bucket: R2Bucket,
    private readonly o: ImageUploadOptions,
    private readonly upload: UploadOptions,
  ) {}

  get field(): string {
    return this.o.field;
  }

  get maxPages(): number {
    return this.o.maxPages;
  }

  get count(): number {
    return this.stored.length;
  }

  /** Stores one page; false for the empty part a browser sends when no file was chosen. */
  async receive(part: MultipartPart): Promise<boolean> {
    const page = this.count + 1;
    if (page > this.o.maxPages) throw tooManyPages(this.o);
    const filename = cleanFilename(part.filename, "");
    const label = `Page ${page}${filename ? ` (${filename})` : ""}`;
    const reader = part.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    let type: ImageType | null = null;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.length;
        this.size += value.length;
        if (this.size > this.upload.maxBytes) {
          if (this.upload.overLimit) throw this.upload.overLimit(this.o.field);
          throw new ApiError(
            413,
            "file_too_large",
            `The page images are larger than the ${megabytes(this.upload.maxBytes)} MB limit together.`,
            this.o.field,
          );
        }
        if (size > this.o.maxImageBytes) {
          throw new ApiError(
            413,
            "image_too_large",
            `${label} is larger than the ${megabytes(this.o.maxImageBytes)} MB limit for one image.`,
            this.o.field,
          );
        }
        chunks.push(value);
        if (!type && size >= IMAGE_SNIFF_BYTES) type = this.sniff(chunks, size, label);
      }
    } catch (err) {
      await reader.cancel().catch(() => undefined);
      throw err;
    }
    if (size === 0) {
      if (part.filename === "") return false;
      throw new ApiError(400, "empty_file", `${label} is empty.`, this.o.field);
    }
    type ??= this.sniff(chunks, size, label);
    const bytes = joinBytes(chunks, size);
    const dims = imageDimensions(bytes, type);
    if (dims && dims.width * dims.height > MAX_IMAGE_PIXELS) {
      const mp = (n: number) => (n / 1_000_000).toLocaleString("en", { maximumFractionDigits: 1 });
      throw new ApiError(
        413,
        "image_too_large",
        `${label} is ${dims.width.toLocaleString("en")} × ${dims.height.toLocaleString("en")} pixels (${mp(dims.width * dims.height)} megapixels): at most ${mp(MAX_IMAGE_PIXELS)} megapixels a page (a page scanned at 600 dpi is about 35).`,
        this.o.field,
      );
    }
    const key = this.o.key(page, type);
    // Recorded before the put, so a put that fails half-way is still cleaned up.
    this.stored.push({ page, key, type, filename, size, sha256: bytesToHex(sha256(bytes)) });
    await this.bucket.put(key, bytes, { httpMetadata: { contentType: IMAGE_CONTENT_TYPES[type] }, customMetadata: { filename } });
    return true;
  }

  private sniff(chunks: Uint8Array[], size: number, label: string): ImageType {
    const type = sniffImage(joinBytes(chunks, Math.min(size, IMAGE_SNIFF_BYTES)));
    if (!type) throw new ApiError(415, "unsupported_media_type", `${label} is not a PNG or JPEG image.`, this.o.field);
    return type;
  }

  /** Deletes what was stored; a failure here must not hide the error that caused it. */
  async discard(): Promise<void> {
    const keys = this.stored.map((s) => s.key);
    this.stored.length = 0;
    await deleteKeys(this.bucket, keys).catch(() => undefined);
  }
}

/** The first `size` bytes of `chunks`, as one array. */

/** Buffers one part at a time; a full part is only uploaded once more bytes prove it is not the last. */
class PdfSink {
  readonly filename: string;
  /** A browser sends filename="" with no bytes when no file was chosen. */
  readonly chosenEmpty: boolean;
  size = 0;
  private buf = new Uint8Array(0);
  private used = 0;
  private sniffed = false;
  private upload: R2MultipartUpload | undefined;
  private readonly parts: R2UploadedPart[] = [];

  constructor(
    private readonly bucket: R2Bucket,
    readonly key: string,
    rawFilename: string | undefined,
    private readonly opts: UploadOptions,
    /** Which file of the upload this is (1-based). */
    readonly n = 1,
    /** Bytes of the upload's files before this one (they count against maxBytes too). */
    private readonly before = 0,
    /** What a refusal calls this file ("Part 2"); by default "This PDF", or "Part n (name)" among several. */
    private readonly label?: string,
  ) {
    this.filename = cleanFilename(rawFilename, "document.pdf");
    this.chosenEmpty = rawFilename === "";
  }

  get noFileChosen(): boolean {
    return this.chosenEmpty && this.size === 0;
  }

  async consume(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        await this.write(value);
      }
    } catch (err) {
      await reader.cancel().catch(() => undefined);
      throw err;
    }
    if (!this.sniffed && this.size > 0) this.sniff();
  }

  /** The file's SHA-256, computed as it streams (what an idempotent retry is compared by). */
  private readonly hash = sha256.create();

  digest(): string {
    return bytesToHex(this.hash.digest());
  }

  private async write(chunk: Uint8Array): Promise<void> {
    this.hash.update(chunk);
    this.size += chunk.length;
    const { maxFileBytes, files } = this.opts;
    if (maxFileBytes !== undefined && this.size > maxFileBytes) {
      // The first file may be the only one: named a part only once there are several.
      const what = this.label ?? (files && this.n > 1 ? `Part ${this.n} (${this.filename})` : undefined);
      throw tooLargeFile(maxFileBytes, this.opts.fileField, what);
    }
    if (this.before + this.size > this.opts.maxBytes) throw tooLarge(this.opts);
    for (let off = 0; off < chunk.length; ) {
      if (this.used === PART_SIZE) await this.flushPart();
      const n = Math.min(PART_SIZE - this.used, chunk.length - off);
      this.reserve(this.used + n);
      this.buf.set(chunk.subarray(off, off + n), this.used);
      this.used += n;
      off += n;
      // Before the first flush the buffer still holds the start of the file.
      if (!this.sniffed && this.used >= SNIFF_BYTES) this.sniff();
    }
  }

  /** Grows by doubling so small files don't allocate a whole part. */
  private reserve(bytes: number): void {
    if (bytes <= this.buf.length) return;
    let cap = Math.max(this.buf.length, 256 * 1024);
    while (cap < bytes) cap *= 2;
    const grown = new Uint8Array(Math.min(cap, PART_SIZE));
    grown.set(this.buf.subarray(0, this.used));
    this.buf = grown;
  }

  private sniff(): void {
    this.sniffed = true;
    const head = this.buf.subarray(0, Math.min(this.used, SNIFF_BYTES));
    for (let i = head.indexOf(PDF_MAGIC[0]!); i !== -1; i = head.indexOf(PDF_MAGIC[0]!, i + 1)) {
      if (PDF_MAGIC.every((b, j) => head[i + j] === b)) return;
    }
    throw new ApiError(415, "unsupported_media_type", "The file is not a PDF (it does not start with %PDF-).", this.opts.fileField);
  }

  private options(): R2PutOptions & R2MultipartOptions {
    return { httpMetadata: { contentType: "application/pdf" }, customMetadata: { filename: this.filename } };
  }

  private async flushPart(): Promise<void> {
    this.upload ??= await this.bucket.createMultipartUpload(this.key, this.options());
    // R2 has the bytes once uploadPart resolves, so the buffer can be reused.
    this.parts.push(await this.upload.uploadPart(this.parts.length + 1, this.buf.subarray(0, this.used)));
    this.used = 0;
  }

  /** Makes the object visible: one put for a single part, else last part + complete. */
  async commit(): Promise<void> {
    const last = this.buf.subarray(0, this.used);
    if (!this.upload) await this.bucket.put(this.key, last, this.options());
    else {
      this.parts.push(await this.upload.uploadPart(this.parts.length + 1, last));
      await this.upload.complete(this.parts);
      this.upload = undefined;
    }
    this.buf = new Uint8Array(0);
  }

  async abort(): Promise<void> {
    this.buf = new Uint8Array(0);
    const upload = this.upload;
    this.upload = undefined;
    // Best effort: R2 also expires abandoned multipart uploads after 7 days.
    await upload?.abort().catch(() => undefined);
  }
}

/**
 * A PDF sent as the request body itself (Content-Type: application/pdf), as a part of a
 * book sent one request per part: streamed into R2 at `key` like a form's file, judged by
 * its content, nothing kept on failure.
 */
export async function receivePdfBody(
  request: Request,
  bucket: R2Bucket,
  key: string,
  opts: { maxBytes: number; overLimit?: (field: string) => ApiError; maxFileBytes: number; label: string; filename?: string },
): Promise<Omit<StoredFile, "n">> {
  const field = "body";
  if (getBoundary(request.headers.get("content-type"))) {
    throw new ApiError(
      415,
      "unsupported_media_type",
      "Send the part as the request body itself (Content-Type: application/pdf), not as a form.",
      field,
    );
  }
  const upload: UploadOptions = { maxBytes: opts.maxBytes, overLimit: opts.overLimit, fileField: field, maxFileBytes: opts.maxFileBytes };
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > opts.maxFileBytes) throw tooLargeFile(opts.maxFileBytes, field, opts.label, declared);
  if (declared > opts.maxBytes) throw tooLarge(upload);
  const sink = new PdfSink(bucket, key, opts.filename, upload, 1, 0, opts.label);
  try {
    await sink.consume(request.body ?? new Blob([]).stream());
    if (sink.size === 0) throw new ApiError(400, "empty_file", `${opts.label} is empty: send its PDF as the request body.`, field);
    await sink.commit();
  } catch (err) {
    await sink.abort();
    throw err;
  }
  return { key, filename: sink.filename, size: sink.size, sha256: sink.digest() };
}
