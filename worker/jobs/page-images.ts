import type { StoredImage } from "../core/stored";
import { imagesToPdf, type ImageType, type PageImage } from "../pipeline/images";
import type { PageRange } from "../pipeline/scan";
import { selects, type PageSelection } from "../../schema/pages";
import { refuseOutside } from "../pipeline/extract";
import { pageImagesKey } from "./keys";

/**
 * A job uploaded as page images keeps them in R2 (uploads/<job>/pages/<n>.<ext>) with a
 * list of them in order (uploads/<job>/pages.json). The plan step turns them into page
 * ranges, each a small PDF, and from there they are read like the pages of a scan.
 */

export interface PageImageEntry {
  key: string;
  type: ImageType;
  filename: string;
  size: number;
}

interface PageImagesManifest {
  pages: PageImageEntry[];
}

/** Written last, once the upload is accepted: it is what marks the job as page images. */
export async function savePageImages(bucket: R2Bucket, jobId: string, images: StoredImage[]): Promise<void> {
  const manifest: PageImagesManifest = {
    pages: images.map(({ key, type, filename, size }) => ({ key, type, filename, size })),
  };
  await bucket.put(pageImagesKey(jobId), JSON.stringify(manifest), { httpMetadata: { contentType: "application/json" } });
}

/** The job's page images in order, or null when it was not uploaded as images. */
export async function loadPageImages(bucket: R2Bucket, jobId: string): Promise<PageImageEntry[] | null> {
  const obj = await bucket.get(pageImagesKey(jobId));
  if (!obj) return null;
  return ((await obj.json()) as PageImagesManifest).pages;
}

/**
 * The pages in ranges of at most `pagesPerRange` pages and `maxBytes` of images (a larger
 * image makes a range of its own), each built from its own images only, so memory holds
 * one range at a time however long the book. With `sel` (the `pages` setting) only those
 * pages, a range never spanning a page left out.
 */
export async function* imageRanges(
  bucket: R2Bucket,
  pages: PageImageEntry[],
  pagesPerRange: number,
  maxBytes: number,
  sel: PageSelection | null = null,
): AsyncGenerator<PageRange> {
  refuseOutside(sel, pages.length);
  const kept = (i: number) => selects(sel, i + 1);
  for (let from = 0; from < pages.length; ) {
    if (!kept(from)) {
      from++;
      continue;
    }
    let to = from + 1;
    let bytes = pages[from]!.size;
    while (to < pages.length && kept(to) && to - from < pagesPerRange && bytes + pages[to]!.size <= maxBytes) bytes += pages[to++]!.size;
    const pdf = await imagesToPdf(fetchImages(bucket, pages, from, to));
    yield { first_page: from + 1, last_page: to, pdf };
    from = to;
  }
}

async function* fetchImages(bucket: R2Bucket, pages: PageImageEntry[], from: number, to: number): AsyncGenerator<PageImage> {
  for (let i = from; i < to; i++) {
    const entry = pages[i]!;
    const obj = await bucket.get(entry.key);
    if (!obj) throw new Error(`page image ${i + 1} is missing`);
    yield { bytes: new Uint8Array(await obj.arrayBuffer()), type: entry.type, page: i + 1, filename: entry.filename };
  }
}
