/**
 * A PDF streamed into R2 without holding it (./upload.ts): at most one 8 MiB part buffered, judged by
 * its content as it comes, and visible in R2 only once committed; also a PDF sent as the request
 * body itself (a part of a book sent one request per part).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { ApiError } from "../core/errors";
import type { StoredFile } from "../core/stored";
import { tooLarge as tooLargeFile } from "../jobs/part-limits";
import { getBoundary } from "./multipart";
import { cleanFilename, tooLarge, type UploadOptions } from "./upload-common";

/** R2 wants equal-sized parts of at least 5 MiB except the last, which may be smaller. */
export const PART_SIZE = 8 * 1024 * 1024;
/** PDF readers accept "%PDF-" within the first 1024 bytes. */
const SNIFF_BYTES = 1024 + 5;
const PDF_MAGIC = new TextEncoder().encode("%PDF-");

/** Buffers one part at a time; a full part is only uploaded once more bytes prove it is not the last. */
export class PdfSink {
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
