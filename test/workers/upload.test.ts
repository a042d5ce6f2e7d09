import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../worker/core/errors";
import { PART_SIZE, receiveUpload, type UploadOptions } from "../../worker/api/upload";

const MiB = 1024 * 1024;
const OPTS: UploadOptions = { maxBytes: 100 * MiB, fileField: "pdf_file" };
const enc = new TextEncoder();

/** Deterministic bytes with a PDF header and boundary look-alikes sprinkled in. */
function fakePdf(size: number, seed = 1, header = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x;
    out[i + 1] = x >>> 8;
    out[i + 2] = x >>> 16;
    out[i + 3] = x >>> 24;
  }
  const trap = enc.encode("\r\n--\r\n----formdata\r\n\r\n");
  for (let pos = 4096; pos + trap.length < size; pos += 65_537) out.set(trap, pos);
  if (header) out.set(enc.encode(header).subarray(0, size), 0);
  return out;
}

async function sha256(data: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

type Entry = [name: string, value: string | { data: Uint8Array; filename: string }];

/** Real FormData encoding, re-sent as a stream of uneven chunks (no Content-Length) unless `buffered`. */
async function formRequest(entries: Entry[], buffered = false): Promise<Request> {
  const form = new FormData();
  for (const [name, value] of entries) {
    if (typeof value === "string") form.append(name, value);
    else form.append(name, new Blob([value.data], { type: "application/pdf" }), value.filename);
  }
  const encoded = new Request("https://x/upload", { method: "POST", body: form });
  const type = encoded.headers.get("content-type")!;
  const bytes = new Uint8Array(await encoded.arrayBuffer());
  if (buffered) return new Request("https://x/upload", { method: "POST", body: bytes, headers: { "content-type": type } });
  let off = 0;
  let n = 7;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (off >= bytes.length) return c.close();
      n = (n * 7919 + 13) % 65_536; // uneven sizes so boundaries straddle chunks
      c.enqueue(bytes.slice(off, off + n + 1));
      off += n + 1;
    },
  });
  return new Request("https://x/upload", { method: "POST", body, headers: { "content-type": type } });
}

/** Wraps the real bucket to see which R2 calls the upload made. */
function spyBucket(bucket: R2Bucket) {
  const log = { puts: 0, partSizes: [] as number[], uploadIds: [] as string[], aborted: 0, completed: 0 };
  const wrapped = {
    put: (...args: Parameters<R2Bucket["put"]>) => {
      log.puts++;
      return bucket.put(...args);
    },
    createMultipartUpload: async (key: string, options?: R2MultipartOptions) => {
      const upload = await bucket.createMultipartUpload(key, options);
      log.uploadIds.push(upload.uploadId);
      return {
        key: upload.key,
        uploadId: upload.uploadId,
        uploadPart: (n: number, value: Uint8Array) => {
          log.partSizes.push(value.byteLength);
          return upload.uploadPart(n, value);
        },
        abort: () => {
          log.aborted++;
          return upload.abort();
        },
        complete: (parts: R2UploadedPart[]) => {
          log.completed++;
          return upload.complete(parts);
        },
      };
    },
  };
  return { bucket: wrapped as unknown as R2Bucket, log };
}

async function expectApiError(p: Promise<unknown>, status: number, code: string): Promise<ApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  expect(err).toMatchObject({ status, code });
  return err as ApiError;
}

/** An aborted multipart upload can no longer take parts. */
async function expectNoLiveUpload(key: string, uploadIds: string[]): Promise<void> {
  for (const id of uploadIds) {
    await expect(env.FILES.resumeMultipartUpload(key, id).uploadPart(99, "x")).rejects.toThrow();
  }
}

describe("receiveUpload", () => {
  it("(the leftover check can tell a live multipart upload from an aborted one)", async () => {
    const upload = await env.FILES.createMultipartUpload("test/probe");
    await expect(env.FILES.resumeMultipartUpload("test/probe", upload.uploadId).uploadPart(99, "x")).resolves.toBeDefined();
    await upload.abort();
    await expectNoLiveUpload("test/probe", [upload.uploadId]);
  });

  it("streams a ~20 MiB PDF into R2 byte-exact via multipart upload", async () => {
    const data = fakePdf(20 * MiB + 12_345);
    const { bucket, log } = spyBucket(env.FILES);
    const key = "test/big.pdf";
    const result = await receiveUpload(
      await formRequest([
        ["title", "Germinal"],
        ["pdf_file", { data, filename: "germinal.pdf" }],
      ]),
      bucket,
      key,
      OPTS,
    );
    expect(result).toEqual({
      fields: { title: "Germinal" },
      file: { filename: "germinal.pdf", size: data.length, key: "test/big.pdf", sha256: await sha256(data) },
    });
    expect(log.puts).toBe(0);
    expect(log.partSizes).toEqual([PART_SIZE, PART_SIZE, data.length - 2 * PART_SIZE]);
    expect(log.completed).toBe(1);
    const obj = await env.FILES.get(key);
    expect(obj).not.toBeNull();
    expect(obj!.size).toBe(data.length);
    expect(obj!.httpMetadata?.contentType).toBe("application/pdf");
    expect(obj!.customMetadata).toEqual({ filename: "germinal.pdf" });
    expect(await sha256(await obj!.arrayBuffer())).toBe(await sha256(data));
  });

  it("stores a small PDF with a single put", async () => {
    const data = fakePdf(50_000, 7);
    const { bucket, log } = spyBucket(env.FILES);
    const result = await receiveUpload(
      await formRequest(
        [
          ["pdf_file", { data, filename: "C:\\Users\\me\\Le Horla.pdf" }],
          ["lang", "fr"],
        ],
        true,
      ),
      bucket,
      "test/small.pdf",
      OPTS,
    );
    expect(result).toEqual({
      fields: { lang: "fr" },
      file: { filename: "Le Horla.pdf", size: 50_000, key: "test/small.pdf", sha256: await sha256(data) },
    });
    expect(log).toMatchObject({ puts: 1, uploadIds: [] });
    const obj = await env.FILES.get("test/small.pdf");
    expect(await sha256(await obj!.arrayBuffer())).toBe(await sha256(data));
    expect(obj!.customMetadata).toEqual({ filename: "Le Horla.pdf" });
  });

  it("stores a file of exactly one part with a single put", async () => {
    const data = fakePdf(PART_SIZE, 3);
    const { bucket, log } = spyBucket(env.FILES);
    await receiveUpload(await formRequest([["pdf_file", { data, filename: "a.pdf" }]]), bucket, "test/one.pdf", OPTS);
    expect(log).toMatchObject({ puts: 1, uploadIds: [] });
    expect((await env.FILES.head("test/one.pdf"))!.size).toBe(PART_SIZE);
  });

  it("accepts junk before %PDF- within the first 1024 bytes", async () => {
    const data = fakePdf(5000, 9, "");
    data.set(enc.encode("%PDF-1.4"), 1000);
    data[0] = 0x00; // make sure no accidental header at the start
    await receiveUpload(await formRequest([["pdf_file", { data, filename: "j.pdf" }]]), env.FILES, "test/junk.pdf", OPTS);
    expect(await env.FILES.head("test/junk.pdf")).not.toBeNull();
  });

  it.each([
    ["a small text file", 2000, "hello, this is not a PDF\n"],
    ["a large non-PDF", 10 * MiB, "PK\x03\x04"],
  ])("rejects %s with 415 and stores nothing", async (_label, size, header) => {
    const data = fakePdf(size, 5, header);
    const { bucket, log } = spyBucket(env.FILES);
    const err = await expectApiError(
      receiveUpload(await formRequest([["pdf_file", { data, filename: "x.pdf" }]]), bucket, "test/415.pdf", OPTS),
      415,
      "unsupported_media_type",
    );
    expect(err.message).toBe("The file is not a PDF (it does not start with %PDF-).");
    expect(err.field).toBe("pdf_file");
    expect(log).toMatchObject({ puts: 0, uploadIds: [] });
    expect(await env.FILES.head("test/415.pdf")).toBeNull();
  });

  it("rejects %PDF- found only after 1024 bytes", async () => {
    const data = fakePdf(5000, 9, "");
    data.set(enc.encode("%PDF-1.4"), 1025);
    data[0] = 0x00;
    await expectApiError(
      receiveUpload(await formRequest([["pdf_file", { data, filename: "j.pdf" }]]), env.FILES, "test/late.pdf", OPTS),
      415,
      "unsupported_media_type",
    );
  });

  it("rejects an oversized stream with 413, aborting the multipart upload", async () => {
    const data = fakePdf(12 * MiB, 11);
    const { bucket, log } = spyBucket(env.FILES);
    const key = "test/413.pdf";
    const opts = { ...OPTS, maxBytes: 9 * MiB };
    const err = await expectApiError(
      receiveUpload(await formRequest([["pdf_file", { data, filename: "big.pdf" }]]), bucket, key, opts),
      413,
      "file_too_large",
    );
    expect(err.message).toBe("The file is larger than the 9 MB limit.");
    expect(log.uploadIds).toHaveLength(1); // one part had gone out before the limit was crossed
    expect(log).toMatchObject({ puts: 0, aborted: 1, completed: 0 });
    expect(await env.FILES.head(key)).toBeNull();
    await expectNoLiveUpload(key, log.uploadIds);
  });

  it("rejects a small file over a small limit with 413 and no R2 call", async () => {
    const { bucket, log } = spyBucket(env.FILES);
    await expectApiError(
      receiveUpload(await formRequest([["pdf_file", { data: fakePdf(5000), filename: "a.pdf" }]]), bucket, "test/413s.pdf", {
        ...OPTS,
        maxBytes: 4000,
      }),
      413,
      "file_too_large",
    );
    expect(log).toMatchObject({ puts: 0, uploadIds: [] });
    expect(await env.FILES.head("test/413s.pdf")).toBeNull();
  });

  it("rejects early from Content-Length without reading the body", async () => {
    const buffered = await formRequest([["pdf_file", { data: fakePdf(200_000), filename: "a.pdf" }]], true);
    const bytes = new Uint8Array(await buffered.arrayBuffer());
    // workerd does not expose a computed Content-Length on a constructed Request, so send it as a client would.
    const req = new Request("https://x/upload", {
      method: "POST",
      body: bytes,
      headers: { "content-type": buffered.headers.get("content-type")!, "content-length": String(bytes.length) },
    });
    await expectApiError(receiveUpload(req, env.FILES, "test/cl.pdf", { ...OPTS, maxBytes: 100_000 }), 413, "file_too_large");
    expect(req.bodyUsed).toBe(false);
  });

  it("rejects an empty file with 400", async () => {
    const { bucket, log } = spyBucket(env.FILES);
    const err = await expectApiError(
      receiveUpload(await formRequest([["pdf_file", { data: new Uint8Array(0), filename: "e.pdf" }]]), bucket, "test/e.pdf", OPTS),
      400,
      "empty_file",
    );
    expect(err.message).toBe("The uploaded file is empty.");
    expect(log).toMatchObject({ puts: 0, uploadIds: [] });
  });

  it("rejects a missing file field with 400", async () => {
    const err = await expectApiError(
      receiveUpload(await formRequest([["title", "x"]]), env.FILES, "test/m.pdf", OPTS),
      400,
      "missing_file",
    );
    expect(err.message).toBe("Attach the PDF as the form field pdf_file.");
    // A browser form submitted with no file chosen sends an empty, unnamed file.
    await expectApiError(
      receiveUpload(await formRequest([["pdf_file", { data: new Uint8Array(0), filename: "" }]]), env.FILES, "test/m.pdf", OPTS),
      400,
      "missing_file",
    );
  });

  it("rejects a non-multipart body with 415", async () => {
    const req = new Request("https://x/upload", { method: "POST", body: fakePdf(1000), headers: { "content-type": "application/pdf" } });
    const err = await expectApiError(receiveUpload(req, env.FILES, "test/np.pdf", OPTS), 415, "unsupported_media_type");
    expect(err.message).toBe("Send the upload as multipart/form-data with the PDF in the field pdf_file.");
  });

  it("rejects a second file with 400 and stores nothing", async () => {
    const data = fakePdf(10_000);
    await expectApiError(
      receiveUpload(
        await formRequest([
          ["pdf_file", { data, filename: "a.pdf" }],
          ["pdf_file", { data, filename: "b.pdf" }],
        ]),
        env.FILES,
        "test/two.pdf",
        OPTS,
      ),
      400,
      "too_many_files",
    );
    expect(await env.FILES.head("test/two.pdf")).toBeNull();
  });

  it("rejects an oversized text field with 400", async () => {
    await expectApiError(
      receiveUpload(
        await formRequest([
          ["notes", "x".repeat(17_000)],
          ["pdf_file", { data: fakePdf(1000), filename: "a.pdf" }],
        ]),
        env.FILES,
        "test/f.pdf",
        OPTS,
      ),
      400,
      "field_too_large",
    );
  });

  it("rejects a truncated body with 400 malformed_upload and leaves nothing in R2", async () => {
    const full = await formRequest([["pdf_file", { data: fakePdf(10 * MiB), filename: "t.pdf" }]], true);
    const bytes = new Uint8Array(await full.arrayBuffer()).subarray(0, 9 * MiB);
    const req = new Request("https://x/upload", {
      method: "POST",
      body: bytes,
      headers: { "content-type": full.headers.get("content-type")! },
    });
    const { bucket, log } = spyBucket(env.FILES);
    await expectApiError(receiveUpload(req, bucket, "test/t.pdf", OPTS), 400, "malformed_upload");
    expect(log).toMatchObject({ puts: 0, aborted: 1, completed: 0 });
    expect(await env.FILES.head("test/t.pdf")).toBeNull();
    await expectNoLiveUpload("test/t.pdf", log.uploadIds);
  });
});
