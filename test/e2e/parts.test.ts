import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { PDFDocument } from "pdf-lib";
import { subsetPdf } from "../../worker/pipeline/scan";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scanPageSentences } from "../fake-gemini/server";
import { CORPUS, finalJob, getJson, ROOT, signIn, startStack, upload, type Stack } from "./stack";

// Big books sent in parts, on the real stack (`npm start`): the Verne novel cut into 3 PDFs
// (consecutive page ranges, as a client cuts them with pdf-lib), sent in one request and one
// request per part, must give exactly the sentences of the book sent whole; a scan in 2 parts
// is read by Gemini (the fake) with its pages numbered across the parts.

const MiB = 1024 * 1024;
const novel = (name: string) => new Uint8Array(readFileSync(path.join(CORPUS, "novels", name)));

/** Pages from..to (1-based) of `src` as a PDF of their own. */
const cut = (src: PDFDocument, from: number, to: number) => subsetPdf(src, from - 1, to - from + 1);

const sentencesOf = async (stack: Stack, token: string, id: string) => {
  const { status, body } = await getJson(`${stack.url}/api/v1/jobs/${id}/result`, token);
  expect(status).toBe(200);
  expect(body.complete).toBe(true);
  return body.sentences as { text: string; page: number; paragraph: number; chunk: number }[];
};

function partsForm(parts: Uint8Array[], fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  parts.forEach((p, i) => {
    form.append("pdf_file", new Blob([p as Uint8Array<ArrayBuffer>], { type: "application/pdf" }), `verne-${i + 1}.pdf`);
  });
  return form;
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describe("the Verne novel in 3 parts, local engine", () => {
  let stack: Stack;
  let token: string;
  let whole: { text: string; page: number; paragraph: number; chunk: number }[];
  let parts: Uint8Array[];

  beforeAll(async () => {
    // Verne (0.8 MiB) fits whole; anything over 1 MiB must come in parts.
    stack = await startStack({ MAX_PART_BYTES: String(MiB) });
    token = await signIn(stack.url, "parts@example.com");
    const bytes = novel("verne-deux-ans-de-vacances.pdf");
    const src = await PDFDocument.load(bytes);
    // Cut mid-paragraph at 105/106 and 217/218.
    parts = [await cut(src, 1, 105), await cut(src, 106, 217), await cut(src, 218, 325)];
    const res = await upload(stack.url, token, bytes, "verne.pdf");
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as any;
    const job = await finalJob(stack, token, id, 8 * 60_000);
    expect(job).toMatchObject({ status: "completed", page_count: 325 });
    whole = await sentencesOf(stack, token, id);
    expect(whole.length).toBeGreaterThan(3000);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("(a) in one request, pdf_file repeated: the same sentences, pages included", async () => {
    const res = await fetch(`${stack.url}/api/v1/jobs`, { method: "POST", headers: auth(token), body: partsForm(parts) });
    expect(res.status).toBe(202);
    const created = (await res.json()) as any;
    expect(created).toMatchObject({ status: "queued", part_count: 3, parts_received: 3, original_filename: "verne-1.pdf" });
    expect(created.file_size).toBe(parts.reduce((n, p) => n + p.length, 0));
    const job = await finalJob(stack, token, created.id, 8 * 60_000);
    expect(job).toMatchObject({ status: "completed", page_count: 325, failed_chunks: 0 });
    const got = await sentencesOf(stack, token, created.id);
    expect(got.map((s) => [s.text, s.page])).toEqual(whole.map((s) => [s.text, s.page]));
    expect(got).toEqual(whole); // chunks and paragraph numbers too
  });

  it("(b) one request per part, sent out of order: the job waits, starts on the last part, the same sentences", async () => {
    const create = await fetch(`${stack.url}/api/v1/jobs`, {
      method: "POST",
      headers: { ...auth(token), "content-type": "application/json" },
      body: JSON.stringify({ parts: 3, filename: "verne.pdf" }),
    });
    expect(create.status).toBe(201);
    const created = (await create.json()) as any;
    expect(created).toMatchObject({ status: "uploading", part_count: 3, parts_received: 0 });
    const put = (n: number) =>
      fetch(`${stack.url}/api/v1/jobs/${created.id}/parts/${n}`, {
        method: "PUT",
        headers: { ...auth(token), "content-type": "application/pdf" },
        body: parts[n - 1] as Uint8Array<ArrayBuffer>,
      });
    const third = await put(3);
    expect(third.status).toBe(200);
    expect((await third.json()) as any).toMatchObject({ missing: [1, 2], job: { status: "uploading", parts_received: 1 } });
    expect((await put(1)).status).toBe(200);
    expect((await getJson(`${stack.url}/api/v1/jobs/${created.id}`, token)).body.status).toBe("uploading");
    const last = await put(2);
    expect(last.status).toBe(202);
    expect(((await last.json()) as any).job.status).toBe("queued");
    const job = await finalJob(stack, token, created.id, 8 * 60_000);
    expect(job).toMatchObject({ status: "completed", page_count: 325, original_filename: "verne.pdf" });
    const got = await sentencesOf(stack, token, created.id);
    expect(got.map((s) => [s.text, s.page])).toEqual(whole.map((s) => [s.text, s.page]));
    expect(got).toEqual(whole);
  });

  it("a single file over MAX_PART_BYTES is refused 413 too_large, saying how to send parts", async () => {
    const big = new Uint8Array(MiB + 50_000);
    big.set(new TextEncoder().encode("%PDF-1.7\n"));
    const res = await upload(stack.url, token, big, "gros.pdf");
    expect(res.status).toBe(413);
    const { error } = (await res.json()) as any;
    expect(error).toMatchObject({ code: "too_large", field: "pdf_file" });
    expect(error.message).toContain("the 1 MB the server can open at once");
    expect(error.message).toContain("pdf_file repeated");
    expect(error.message).toContain("PUT /api/v1/jobs/<id>/parts/<n>");
  });
});

describe("a scan in 2 parts, Gemini (the fake)", () => {
  let fake: ChildProcess | undefined;
  let stack: Stack;
  let token: string;

  beforeAll(async () => {
    fake = spawn(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(ROOT, "test/fake-gemini/main.ts"), "--port", "0"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
      detached: true,
    });
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      fake!.stdout!.on("data", (d) => {
        out += d;
        const m = /^(\d+)\n/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      fake!.once("exit", (code) => reject(new Error(`fake Gemini exited (${code})`)));
    });
    stack = await startStack({ GEMINI_API_KEY: "test-key", GEMINI_BASE_URL: `http://127.0.0.1:${port}` });
    token = await signIn(stack.url, "scan-parts@example.com");
  });

  afterAll(async () => {
    await stack?.stop();
    if (fake?.pid) {
      try {
        process.kill(-fake.pid, "SIGTERM");
      } catch {
        /* gone */
      }
    }
  });

  it("reads each part's pages, ranges cut at the part boundary, pages numbered across parts", async () => {
    const src = await PDFDocument.load(novel("maupassant-une-vie-extrait.scan.pdf"));
    expect(src.getPageCount()).toBe(6);
    const parts = [await cut(src, 1, 2), await cut(src, 3, 6)];
    const res = await fetch(`${stack.url}/api/v1/jobs`, { method: "POST", headers: auth(token), body: partsForm(parts) });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as any;
    const done = await finalJob(stack, token, id, 120_000);
    // Pages 1–2 from part 1, 3–6 from part 2 (4 pages a chunk): never a range across parts.
    expect(done).toMatchObject({ status: "completed", engine: "gemini", page_count: 6, total_chunks: 2 });
    const got = await sentencesOf(stack, token, id);
    expect(got.map((s) => [s.text, s.page])).toEqual([1, 2, 3, 4, 5, 6].flatMap((p) => scanPageSentences(p).map((t) => [t, p])));
    const pagesOf = (chunk: number) => [...new Set(got.filter((s) => s.chunk === chunk).map((s) => s.page))];
    expect([pagesOf(0), pagesOf(1)]).toEqual([
      [1, 2],
      [3, 4, 5, 6],
    ]);
  });
});
