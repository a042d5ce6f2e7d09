import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { PDFDocument } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../schema/settings";
import { ApiError } from "../../worker/core/errors";
import { receiveUpload, type UploadOptions } from "../../worker/api/upload";
import worker from "../../worker/index";
import { chunkKey, pageImageKey, pageImagesKey, scanPagesKey } from "../../worker/jobs/keys";
import { savePageImages } from "../../worker/jobs/page-images";
import { tracker } from "../../worker/jobs/service";
import type { ImageType } from "../../worker/pipeline/images";
import { JPEG_18x25, makePng } from "../fixtures/images";
import { insertJob, jobRow } from "./jobs";
import { api, signIn } from "./http";

// Page images instead of a PDF: the upload contract (real R2) and the plan step that
// turns them into page-range PDFs for Gemini.

type Entry = [name: string, value: string | { data: Uint8Array; filename: string; type?: string }];

function form(entries: Entry[]): FormData {
  const f = new FormData();
  for (const [name, value] of entries) {
    if (typeof value === "string") f.append(name, value);
    else
      f.append(name, new Blob([value.data as Uint8Array<ArrayBuffer>], { type: value.type ?? "application/octet-stream" }), value.filename);
  }
  return f;
}

const post = (token: string, entries: Entry[]) =>
  api("/api/v1/jobs", { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form(entries) });

/** The JPEG with its frame header (first SOF marker) saying another size; the pixels stay 18 × 25. */
function withJpegSize(jpeg: Uint8Array, width: number, height: number): Uint8Array {
  const out = jpeg.slice();
  for (let i = 2; i + 9 < out.length; ) {
    const marker = out[i + 1]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      new DataView(out.buffer).setUint16(i + 5, height);
      new DataView(out.buffer).setUint16(i + 7, width);
      return out;
    }
    i += 2 + ((out[i + 2]! << 8) | out[i + 3]!);
  }
  throw new Error("no SOF marker");
}

const keysUnder = async (prefix: string) => (await env.FILES.list({ prefix })).objects.map((o) => o.key).sort();

async function expectError(res: Response, status: number, code: string, message?: string, field = "page_images") {
  const body = (await res.json()) as { error: { code: string; message: string; field?: string } };
  expect(res.status).toBe(status);
  expect(body.error).toMatchObject({ code, field, ...(message ? { message } : {}) });
}

const GIF = new TextEncoder().encode("GIF89a\x01\x00\x01\x00\x00\x00\x00;");
const PDF = new TextEncoder().encode("%PDF-1.7\n%%EOF\n");

describe("POST /api/v1/jobs with page_images", () => {
  it("stores each image in R2 in the order given, and the job names the first", async () => {
    const token = await signIn("img1@example.com");
    const a = await makePng(40, 60, "gray", 1);
    const b = JPEG_18x25;
    const c = await makePng(30, 20, "rgb", 2);
    // Declared types and names lie on purpose: the content decides.
    const res = await post(token, [
      ["page_images", { data: a, filename: "p1.png", type: "image/jpeg" }],
      ["sentence_length_limit", "12"],
      ["page_images", { data: b, filename: "p2.png" }],
      ["page_images", { data: c, filename: "dir/p3.jpg", type: "text/plain" }],
    ]);
    expect(res.status).toBe(202);
    const job = (await res.json()) as any;
    expect(job).toMatchObject({ original_filename: "p1.png", file_size: a.length + b.length + c.length, status: "queued" });
    expect(job.settings.sentence_length_limit).toBe(12);

    const keys = [pageImageKey(job.id, 1, "png"), pageImageKey(job.id, 2, "jpg"), pageImageKey(job.id, 3, "png")];
    expect(keys).toEqual([`uploads/${job.id}/pages/1.png`, `uploads/${job.id}/pages/2.jpg`, `uploads/${job.id}/pages/3.png`]);
    expect(await keysUnder(`uploads/${job.id}/`)).toEqual([...keys, pageImagesKey(job.id)].sort());
    for (const [i, bytes] of [a, b, c].entries()) {
      const obj = await env.FILES.get(keys[i]!);
      expect(new Uint8Array(await obj!.arrayBuffer())).toEqual(bytes);
      expect(obj!.httpMetadata?.contentType).toBe(i === 1 ? "image/jpeg" : "image/png");
    }
    const manifest = (await (await env.FILES.get(pageImagesKey(job.id)))!.json()) as any;
    expect(manifest.pages.map((p: any) => [p.key, p.type, p.filename, p.size])).toEqual([
      [keys[0], "png", "p1.png", a.length],
      [keys[1], "jpg", "p2.png", b.length],
      [keys[2], "png", "p3.jpg", c.length],
    ]);

    // Deleting the job removes the images with the rest.
    const del = await api(`/api/v1/jobs/${job.id}`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });
    expect(del.status).toBe(204);
    expect(await keysUnder(`uploads/${job.id}/`)).toEqual([]);
  });

  it("names an unnamed upload by its page count", async () => {
    const token = await signIn("img2@example.com");
    const f = new FormData();
    // A part with a file name of its own but none given: the cleaned name is empty.
    f.append("page_images", new Blob([JPEG_18x25]), " ");
    f.append("page_images", new Blob([JPEG_18x25]), " ");
    const res = await api("/api/v1/jobs", { method: "POST", headers: { authorization: `Bearer ${token}` }, body: f });
    expect(res.status).toBe(202);
    expect(((await res.json()) as any).original_filename).toBe("2 page images");
  });

  it("refuses a page that is not a PNG or JPEG with 415, naming it, and keeps nothing", async () => {
    const token = await signIn("img3@example.com");
    const before = await keysUnder("uploads/");
    const png = await makePng(10, 10);
    const res = await post(token, [
      ["page_images", { data: png, filename: "scan1.png" }],
      ["page_images", { data: JPEG_18x25, filename: "scan2.jpg" }],
      ["page_images", { data: GIF, filename: "scan3.gif", type: "image/png" }],
    ]);
    await expectError(res, 415, "unsupported_media_type", "Page 3 (scan3.gif) is not a PNG or JPEG image.");
    expect(await keysUnder("uploads/")).toEqual(before);
    // A PDF sent as a page image is not an image either.
    await expectError(
      await post(token, [["page_images", { data: PDF, filename: "book.pdf" }]]),
      415,
      "unsupported_media_type",
      "Page 1 (book.pdf) is not a PNG or JPEG image.",
    );
  });

  it("refuses a PDF and page images together with 400, in either order", async () => {
    const token = await signIn("img4@example.com");
    const before = await keysUnder("uploads/");
    const png = await makePng(10, 10);
    const message = "Send either a PDF in pdf_file or page images in page_images, not both.";
    await expectError(
      await post(token, [
        ["pdf_file", { data: PDF, filename: "a.pdf" }],
        ["page_images", { data: png, filename: "p.png" }],
      ]),
      400,
      "mixed_files",
      message,
    );
    await expectError(
      await post(token, [
        ["page_images", { data: png, filename: "p.png" }],
        ["pdf_file", { data: PDF, filename: "a.pdf" }],
      ]),
      400,
      "mixed_files",
      message,
    );
    expect(await keysUnder("uploads/")).toEqual(before);
  });

  it("ignores the empty part of a file input left unused beside the other", async () => {
    const token = await signIn("img5@example.com");
    const png = await makePng(10, 10);
    const empty = { data: new Uint8Array(0), filename: "" };
    const images = await post(token, [
      ["pdf_file", empty],
      ["page_images", { data: png, filename: "p.png" }],
    ]);
    expect(images.status).toBe(202);
    expect(await keysUnder(`uploads/${((await images.json()) as any).id}/`)).toHaveLength(2); // the image and the list
    const pdf = await post(token, [
      ["pdf_file", { data: PDF, filename: "a.pdf" }],
      ["page_images", empty],
    ]);
    expect(pdf.status).toBe(202);
    const { id } = (await pdf.json()) as any;
    expect(await keysUnder(`uploads/${id}/`)).toEqual([`uploads/${id}/source.pdf`]);
  });

  it("refuses an empty image with 400", async () => {
    const token = await signIn("img6@example.com");
    const before = await keysUnder("uploads/");
    const res = await post(token, [
      ["page_images", { data: JPEG_18x25, filename: "a.jpg" }],
      ["page_images", { data: new Uint8Array(0), filename: "b.png" }],
    ]);
    await expectError(res, 400, "empty_file", "Page 2 (b.png) is empty.");
    expect(await keysUnder("uploads/")).toEqual(before);
  });

  it("refuses one image over 20 MB with 413", async () => {
    const token = await signIn("img7@example.com");
    const before = await keysUnder("uploads/");
    const big = new Uint8Array(20 * 1024 * 1024 + 1);
    big.set(await makePng(4, 4));
    const res = await post(token, [
      ["page_images", { data: JPEG_18x25, filename: "a.jpg" }],
      ["page_images", { data: big, filename: "huge.png" }],
    ]);
    await expectError(res, 413, "image_too_large", "Page 2 (huge.png) is larger than the 20 MB limit for one image.");
    expect(await keysUnder("uploads/")).toEqual(before);
  });

  it("refuses an image of over 50 megapixels from its header, before anything decodes it", async () => {
    const token = await signIn("img-pixels@example.com");
    const before = await keysUnder("uploads/");
    // A few hundred bytes each, whose headers say 20,000 × 20,000 (400 megapixels).
    const png = await makePng(4, 4);
    const hugePng = png.slice();
    new DataView(hugePng.buffer).setUint32(16, 20_000);
    new DataView(hugePng.buffer).setUint32(20, 20_000);
    const hugeJpeg = withJpegSize(JPEG_18x25, 20_000, 20_000);
    for (const [data, filename] of [
      [hugePng, "bomb.png"],
      [hugeJpeg, "bomb.jpg"],
    ] as const) {
      const res = await post(token, [
        ["page_images", { data: JPEG_18x25, filename: "a.jpg" }],
        ["page_images", { data, filename }],
      ]);
      await expectError(
        res,
        413,
        "image_too_large",
        `Page 2 (${filename}) is 20,000 × 20,000 pixels (400 megapixels): at most 50 megapixels a page (a page scanned at 600 dpi is about 35).`,
      );
    }
    expect(await keysUnder("uploads/")).toEqual(before);
    // At the cap's side of the line an image is taken as before.
    const fine = await post(token, [["page_images", { data: withJpegSize(JPEG_18x25, 5_000, 7_000), filename: "a4-600dpi.jpg" }]]);
    expect(fine.status).toBe(202);
  });

  it("deletes the stored images when a setting is refused", async () => {
    const token = await signIn("img8@example.com");
    const before = await keysUnder("uploads/");
    const res = await post(token, [
      ["page_images", { data: JPEG_18x25, filename: "a.jpg" }],
      ["page_images", { data: JPEG_18x25, filename: "b.jpg" }],
      ["sentence_length_limit", "-3"],
    ]);
    await expectError(res, 400, "invalid_field", undefined, "sentence_length_limit");
    expect(await keysUnder("uploads/")).toEqual(before);
  });
});

describe("receiveUpload with page images: limits", () => {
  const opts = (over: Partial<NonNullable<UploadOptions["images"]>> = {}, maxBytes = 1024 * 1024): UploadOptions => ({
    maxBytes,
    fileField: "pdf_file",
    images: { field: "page_images", maxPages: 1000, maxImageBytes: 20 * 1024 * 1024, key: (n, t) => `test/limits/${n}.${t}`, ...over },
  });
  const request = (entries: Entry[]) => new Request("https://x/upload", { method: "POST", body: form(entries) });
  const fail = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error("expected a refusal");
      },
      (e: unknown) => e as ApiError,
    );

  it("more pages than the limit is 413, and what was stored is deleted", async () => {
    const jpeg = { data: JPEG_18x25, filename: "p.jpg" };
    const err = await fail(
      receiveUpload(request(Array(4).fill(["page_images", jpeg])), env.FILES, "test/limits/x.pdf", opts({ maxPages: 3 })),
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 413,
      code: "too_many_pages",
      field: "page_images",
      message: "At most 3 page images can be sent in one job.",
    });
    expect(await keysUnder("test/limits/")).toEqual([]);
  });

  it("images over MAX_UPLOAD_BYTES together are 413, and what was stored is deleted", async () => {
    const png = await makePng(200, 200, "rgb", 3); // a few KB each
    const entries: Entry[] = Array.from({ length: 5 }, (_, i) => ["page_images", { data: png, filename: `p${i}.png` }]);
    const err = await fail(receiveUpload(request(entries), env.FILES, "test/limits/x.pdf", opts({}, png.length * 3 + 10)));
    expect(err).toMatchObject({ status: 413, code: "file_too_large", field: "page_images" });
    expect(err.message).toMatch(/^The page images are larger than the .* MB limit together\.$/);
    expect(await keysUnder("test/limits/")).toEqual([]);
  });

  it("no file at all names both fields", async () => {
    const err = await fail(receiveUpload(request([["title", "x"]]), env.FILES, "test/limits/x.pdf", opts()));
    expect(err).toMatchObject({
      status: 400,
      code: "missing_file",
      message: "Attach the PDF as the form field pdf_file, or page images as page_images.",
    });
  });
});

describe("planning a job of page images", () => {
  const pngs = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => makePng(100 + i, 150, i % 2 ? "rgb" : "gray", i)));

  /** A queued job whose upload was `images` (as the route stores them), with its tracker registered. */
  async function imageJob(images: Array<{ bytes: Uint8Array; type: ImageType; filename: string }>) {
    const id = await insertJob("planner");
    await tracker(env, id).register(id, DEFAULT_SETTINGS);
    const stored = [];
    for (const [i, img] of images.entries()) {
      const key = pageImageKey(id, i + 1, img.type);
      await env.FILES.put(key, img.bytes);
      stored.push({ page: i + 1, key, type: img.type, filename: img.filename, size: img.bytes.length, sha256: "" });
    }
    await savePageImages(env.FILES, id, stored);
    return id;
  }

  /** Runs the plan consumer on `id`; chunk messages go to `sent`, not to the real queue. */
  async function plan(id: string, gemini: boolean) {
    const sent: unknown[] = [];
    const queue = {
      send: async (b: unknown) => void sent.push(b),
      sendBatch: async (ms: Array<{ body: unknown }>) => void sent.push(...ms.map((m) => m.body)),
    };
    const planEnv = { ...env, GEMINI_API_KEY: gemini ? "test-key" : "", CHUNK_QUEUE: queue } as unknown as Env;
    const batch = createMessageBatch("fnt-plan", [{ id: "p0", timestamp: new Date(), attempts: 1, body: { job_id: id } }]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<any>, planEnv, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["p0"]);
    return sent;
  }

  it("without Gemini the job fails with no_text_layer", async () => {
    const id = await imageJob([{ bytes: JPEG_18x25, type: "jpg", filename: "a.jpg" }]);
    expect(await plan(id, false)).toEqual([]);
    const row = await jobRow(id);
    expect(row).toMatchObject({ status: "failed", error_code: "no_text_layer" });
    expect(row!.error_message).toBe(
      "These page images have no text layer. Text recognition needs the Gemini engine, which is not configured on this server.",
    );
  });

  it("with Gemini, builds a PDF per range of 4 pages, a page per image sized to it", async () => {
    const images = [
      ...(await pngs(5)).map((bytes, i) => ({ bytes, type: "png" as const, filename: `p${i + 1}.png` })),
      { bytes: JPEG_18x25, type: "jpg" as const, filename: "p6.jpg" },
    ];
    const id = await imageJob(images);
    const sent = await plan(id, true);
    expect(sent).toEqual([
      { job_id: id, chunk: 0 },
      { job_id: id, chunk: 1 },
    ]);
    expect(await jobRow(id)).toMatchObject({ status: "processing", page_count: 6, total_chunks: 2 });
    const sizes = [];
    for (const n of [0, 1]) {
      const chunk = (await (await env.FILES.get(chunkKey(id, n)))!.json()) as any;
      expect(chunk).toMatchObject({ index: n, scan: true, paragraphs: [], first_page: n * 4 + 1, last_page: n ? 6 : 4 });
      const pdf = await PDFDocument.load(await (await env.FILES.get(scanPagesKey(id, n)))!.arrayBuffer());
      sizes.push(...pdf.getPages().map((p) => [p.getWidth(), p.getHeight()]));
    }
    expect(sizes).toEqual([
      [100, 150],
      [101, 150],
      [102, 150],
      [103, 150],
      [104, 150],
      [18, 25],
    ]);
  });

  it("a damaged image fails the job with invalid_image, naming the page", async () => {
    const good = await makePng(20, 20);
    const id = await imageJob([
      { bytes: good, type: "png", filename: "ok.png" },
      { bytes: good.subarray(0, 40), type: "png", filename: "cut.png" },
    ]);
    await plan(id, true);
    expect(await jobRow(id)).toMatchObject({
      status: "failed",
      error_code: "invalid_image",
      error_message: "Page 2 (cut.png) could not be read as a PNG image. It may be damaged.",
    });
  });
});
