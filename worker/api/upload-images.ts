/** Page images received one at a time (./upload.ts): each read whole, checked by content and header, and put in R2 before the next. */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { ApiError } from "../core/errors";
import { joinBytes } from "../core/bytes";
import type { StoredImage } from "../core/stored";
import { deleteKeys } from "../jobs/files";
import { IMAGE_CONTENT_TYPES, IMAGE_SNIFF_BYTES, imageDimensions, MAX_IMAGE_PIXELS, sniffImage, type ImageType } from "../pipeline/images";
import type { MultipartPart } from "./multipart";
import { cleanFilename, megabytes, type ImageUploadOptions, type UploadOptions } from "./upload-common";

const tooManyPages = (o: { field: string; maxPages: number }) =>
  new ApiError(413, "too_many_pages", `At most ${o.maxPages} page images can be sent in one job.`, o.field);

/**
 * Page images, each read whole (they are capped well below a Worker's memory), checked
 * by content and put in R2 before the next is read.
 */
export class ImageStore {
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
