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
import { ApiError } from "../core/errors";
import { getBoundary, MultipartError, parseMultipart } from "./multipart";
import { deleteKeys } from "../jobs/files";
import { tooLarge as tooLargeFile } from "../jobs/part-limits";
import { tooLarge, type UploadOptions } from "./upload-common";
import { ImageStore } from "./upload-images";
import { PdfSink } from "./upload-pdf";

export { cleanFilename, type ImageUploadOptions, type UploadOptions } from "./upload-common";
export { PART_SIZE, receivePdfBody } from "./upload-pdf";

const FORM_OVERHEAD = 64 * 1024;
const MAX_FIELD_BYTES = 16 * 1024;

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
