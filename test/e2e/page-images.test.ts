import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scanPageSentences, startFakeGemini, type FakeGemini } from "../fake-gemini/server";
import { JPEG_18x25, makePng } from "../fixtures/images";
import { CORPUS, getJson, signIn, startStack, waitFor, type Stack } from "./stack";

// Page images (PNG and JPEG, one page each) through the real local stack: read by Gemini
// (the fake) like a scan when a key is set, refused with no_text_layer when not.

const FINAL = ["completed", "partial", "failed", "cancelled"];
const SCAN = path.join(CORPUS, "novels", "maupassant-une-vie-extrait.scan.pdf");

interface PageFile {
  name: string;
  bytes: Uint8Array;
}

/**
 * The six pages of the Maupassant scan as images, odd pages PNG and even pages JPEG, when
 * poppler's pdftoppm is installed; otherwise six small generated images (the fake Gemini
 * reads pages by position, not by content, so the test means the same either way).
 */
async function pageImages(): Promise<{ pages: PageFile[]; source: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), "fnt-pages-"));
  try {
    for (let p = 1; p <= 6; p++) {
      const format = p % 2 ? "-png" : "-jpeg";
      execFileSync("pdftoppm", [format, "-r", "40", "-f", String(p), "-l", String(p), SCAN, path.join(dir, `page-${p}`)], {
        stdio: "ignore",
      });
    }
    // pdftoppm names its output page-<p>-<n>.<ext>, the page number padded to the document's width.
    const files = readdirSync(dir).sort((a, b) => Number(/^page-(\d+)/.exec(a)![1]) - Number(/^page-(\d+)/.exec(b)![1]));
    const pages = files.map((f, i) => ({
      name: `page-${i + 1}.${f.endsWith(".png") ? "png" : "jpg"}`,
      bytes: new Uint8Array(readFileSync(path.join(dir, f))),
    }));
    if (pages.length === 6) return { pages, source: "pdftoppm" };
  } catch {
    // no pdftoppm: generated images below
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const generated = await Promise.all(
    [1, 2, 3, 4, 5, 6].map(async (p) => ({
      name: `page-${p}.${p % 2 ? "png" : "jpg"}`,
      bytes: p % 2 ? await makePng(300, 450, "gray", p) : JPEG_18x25,
    })),
  );
  return { pages: generated, source: "generated" };
}

function postImages(url: string, token: string, pages: PageFile[]): Promise<Response> {
  const form = new FormData();
  for (const p of pages) form.append("page_images", new Blob([p.bytes as Uint8Array<ArrayBuffer>]), p.name);
  return fetch(`${url}/api/v1/jobs`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
}

async function finished(url: string, token: string, id: string) {
  return waitFor(
    async () => {
      const j = (await getJson(`${url}/api/v1/jobs/${id}`, token)).body;
      return FINAL.includes(j.status) ? j : undefined;
    },
    90_000,
    "the page-image job to end",
  );
}

let fake: FakeGemini;
let gemini: Stack;
let plain: Stack;
let pages: PageFile[];

beforeAll(async () => {
  const images = await pageImages();
  pages = images.pages;
  console.info(`page images: ${images.source}`);
  fake = await startFakeGemini({ rates: { "429": 0.2 }, retryDelay: "1s", seed: 3 });
  [gemini, plain] = await Promise.all([
    startStack({ GEMINI_API_KEY: "test-key", GEMINI_BASE_URL: fake.url, RETRY_BASE_SECONDS: "1" }),
    startStack(),
  ]);
});

afterAll(async () => {
  await Promise.all([gemini?.stop(), plain?.stop()]);
  await fake?.close();
});

describe("page images as a job", () => {
  it("with Gemini: read like a scan, a few pages per chunk, each sentence on its page", async () => {
    const token = await signIn(gemini.url, "pages@example.com");
    const res = await postImages(gemini.url, token, pages);
    expect(res.status).toBe(202);
    const created = (await res.json()) as any;
    expect(created).toMatchObject({
      engine: "gemini",
      original_filename: "page-1.png",
      file_size: pages.reduce((n, p) => n + p.bytes.length, 0),
    });

    const done = await finished(gemini.url, token, created.id);
    expect(done).toMatchObject({ status: "completed", engine: "gemini", page_count: 6, total_chunks: 2, failed_pages: [] });
    expect(done.actual_tokens).toBeGreaterThan(0);
    // Every Gemini request carried a PDF of page images.
    expect((fake.stats().last_request!.body as any).contents[0].parts[0].inlineData.mimeType).toBe("application/pdf");

    const result = (await getJson(`${gemini.url}/api/v1/jobs/${created.id}/result`, token)).body;
    expect(result.sentences.map((s: any) => [s.text, s.page])).toEqual(
      [1, 2, 3, 4, 5, 6].flatMap((p) => scanPageSentences(p).map((t) => [t, p])),
    );
    const txt = await fetch(`${gemini.url}/api/v1/jobs/${created.id}/result?format=txt`, { headers: { authorization: `Bearer ${token}` } });
    expect(txt.headers.get("content-disposition")).toContain('filename="page-1.txt"');

    const del = await fetch(`${gemini.url}/api/v1/jobs/${created.id}`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });
    expect(del.status).toBe(204);
  });

  it("without Gemini: the job ends failed with no_text_layer", async () => {
    const token = await signIn(plain.url, "pages@example.com");
    const res = await postImages(plain.url, token, pages.slice(0, 2));
    expect(res.status).toBe(202);
    const created = (await res.json()) as any;
    expect(created.engine).toBe("local");
    const done = await finished(plain.url, token, created.id);
    expect(done).toMatchObject({ status: "failed", error_code: "no_text_layer" });
    expect(done.error_message).toContain("Text recognition needs the Gemini engine");
  });

  it("a file that is not an image is refused at once (415), naming the page", async () => {
    const token = await signIn(plain.url, "pages@example.com");
    const bad = { name: "scan3.gif", bytes: new TextEncoder().encode("GIF89a…") };
    const res = await postImages(plain.url, token, [...pages.slice(0, 2), bad]);
    expect(res.status).toBe(415);
    expect(((await res.json()) as any).error).toMatchObject({
      code: "unsupported_media_type",
      field: "page_images",
      message: "Page 3 (scan3.gif) is not a PNG or JPEG image.",
    });
  });
});
