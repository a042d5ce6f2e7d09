/**
 * Streams a multipart/form-data PDF upload into R2 without holding the file:
 * at most one 8 MiB part is buffered (a Worker has 128 MB, books reach 100 MiB).
 * Nothing becomes visible in R2 until the whole form has been read and
 * validated; every failure aborts the multipart upload.
 */
import { ApiError } from "./errors";
import { getBoundary, MultipartError, parseMultipart } from "./multipart";

/** R2 wants equal-sized parts of at least 5 MiB except the last, which may be smaller. */
export const PART_SIZE = 8 * 1024 * 1024;
const FORM_OVERHEAD = 64 * 1024;
const MAX_FIELD_BYTES = 16 * 1024;
/** PDF readers accept "%PDF-" within the first 1024 bytes. */
const SNIFF_BYTES = 1024 + 5;
const PDF_MAGIC = new TextEncoder().encode("%PDF-");

export interface UploadOptions {
  maxBytes: number;
  fileField: string;
}

export interface UploadResult {
  fields: Record<string, string>;
  file: { filename: string; size: number };
}

export async function receiveUpload(
  request: Request,
  bucket: R2Bucket,
  key: string,
  opts: UploadOptions,
): Promise<UploadResult> {
  const field = opts.fileField;
  const boundary = getBoundary(request.headers.get("content-type"));
  if (!boundary) {
    throw new ApiError(415, "unsupported_media_type", `Send the upload as multipart/form-data with the PDF in the field ${field}.`);
  }
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > opts.maxBytes + FORM_OVERHEAD) throw tooLarge(opts);

  const fields = Object.create(null) as Record<string, string>;
  let sink: PdfSink | undefined;
  try {
    for await (const part of parseMultipart(request.body ?? new Blob([]).stream(), boundary)) {
      if (part.name === field) {
        if (sink) throw new ApiError(400, "too_many_files", `Send a single file in the form field ${field}.`, field);
        sink = new PdfSink(bucket, key, part.filename, opts);
        await sink.consume(part.body);
      } else if (part.filename !== undefined) {
        throw new ApiError(400, "unexpected_file", `Only one file is accepted, in the form field ${field}.`, part.name);
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
    if (!sink || sink.noFileChosen) throw new ApiError(400, "missing_file", `Attach the PDF as the form field ${field}.`, field);
    if (sink.size === 0) throw new ApiError(400, "empty_file", "The uploaded file is empty.", field);
    await sink.commit();
    return { fields: { ...fields }, file: { filename: sink.filename, size: sink.size } };
  } catch (err) {
    await sink?.abort();
    if (err instanceof MultipartError) {
      throw new ApiError(400, "malformed_upload", `The upload is not valid multipart/form-data: ${err.message}`);
    }
    throw err;
  }
}

function tooLarge(opts: UploadOptions): ApiError {
  const mb = opts.maxBytes / (1024 * 1024);
  const shown = Number(mb >= 1 ? mb.toFixed(1) : mb.toPrecision(2));
  return new ApiError(413, "file_too_large", `The file is larger than the ${shown} MB limit.`, opts.fileField);
}

/** A display name: no client-side directories or control characters, bounded for R2 metadata. */
function cleanFilename(raw: string | undefined): string {
  const base = (raw ?? "").split(/[/\\]/).pop() ?? "";
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, "").trim().slice(0, 200);
  return clean || "document.pdf";
}

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
    private readonly key: string,
    rawFilename: string | undefined,
    private readonly opts: UploadOptions,
  ) {
    this.filename = cleanFilename(rawFilename);
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

  private async write(chunk: Uint8Array): Promise<void> {
    this.size += chunk.length;
    if (this.size > this.opts.maxBytes) throw tooLarge(this.opts);
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
