/** What the upload readers (./upload.ts, ./upload-pdf.ts, ./upload-images.ts) share: their options, limits' errors and names. */
import { ApiError } from "../core/errors";
import type { ImageType } from "../pipeline/images";

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

export const megabytes = (bytes: number) => {
  const mb = bytes / (1024 * 1024);
  return Number(mb >= 1 ? mb.toFixed(1) : mb.toPrecision(2));
};

export function tooLarge(opts: UploadOptions): ApiError {
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
