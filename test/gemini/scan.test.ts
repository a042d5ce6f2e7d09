import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../schema/settings";
import { GeminiNormalizer } from "../../worker/pipeline/gemini";
import type { GeminiError } from "../../worker/pipeline/gemini-errors";
import { splitPages } from "../../worker/pipeline/scan";
import { scanPageSentences } from "../fake-gemini/server";
import { useFakeGemini } from "./fake";

// Scanned pages (no text layer) read by Gemini, through the SDK against the fake.

const SCAN = new Uint8Array(
  readFileSync(path.resolve(import.meta.dirname, "../../../shared/corpus/novels/maupassant-une-vie-extrait.scan.pdf")),
);

const fake = useFakeGemini();

const gemini = () => new GeminiNormalizer({ apiKey: "k", baseUrl: fake.url, model: "gemini-2.5-flash" });
const expected = (first: number, last: number, firstParagraph: number) =>
  Array.from({ length: last - first + 1 }, (_, i) =>
    scanPageSentences(first + i).map((text) => ({ text, page: first + i, paragraph: firstParagraph + i })),
  ).flat();

describe("scans through Gemini", () => {
  it("cuts a scan into page ranges, each its own PDF", async () => {
    const ranges = await splitPages(SCAN, 4);
    expect(ranges.map((r) => [r.first_page, r.last_page])).toEqual([
      [1, 4],
      [5, 6],
    ]);
  });

  it("sends the pages as inline PDF and maps sentences to their page", async () => {
    const [range] = await splitPages(SCAN, 4);
    const r = await gemini().transcribe(range!, DEFAULT_SETTINGS, 100);
    expect(r.sentences).toEqual(expected(1, 4, 100));
    expect(r.tokens).toBeGreaterThan(0);
    const body = fake.stats().last_request!.body as any;
    expect(body.contents[0].parts[0].inlineData.mimeType).toBe("application/pdf");
    expect(body.systemInstruction.parts[0].text).toContain("running headers");
  });

  it("MAX_TOKENS halves the page range and keeps the order and paragraph count", async () => {
    fake.control({ maxTokensOverPages: 1 });
    const [range] = await splitPages(SCAN, 4);
    const r = await gemini().transcribe(range!, DEFAULT_SETTINGS, 0);
    expect(r.sentences).toEqual(expected(1, 4, 0));
    expect(fake.stats().by_outcome).toEqual({ max_tokens: 3, ok: 4 });
  });

  it("a single page that does not fit is permanent; 429 stays retryable", async () => {
    fake.control({ always: "max_tokens" });
    const [, last] = await splitPages(SCAN, 1);
    const e = (await gemini()
      .transcribe(last!, DEFAULT_SETTINGS, 0)
      .catch((x: unknown) => x)) as GeminiError;
    expect(e).toMatchObject({ code: "too_long", retryable: false });
    fake.control({ always: null, sequence: ["429"], retryDelay: "3s" });
    const e2 = (await gemini()
      .transcribe(last!, DEFAULT_SETTINGS, 0)
      .catch((x: unknown) => x)) as GeminiError;
    expect(e2).toMatchObject({ code: "rate_limited", retryAfterSeconds: 3 });
  });

  it("unusable output is retried once, then permanent", async () => {
    const [range] = await splitPages(SCAN, 6);
    fake.control({ sequence: ["malformed"] });
    expect((await gemini().transcribe(range!, DEFAULT_SETTINGS, 0)).sentences).toEqual(expected(1, 6, 0));
    fake.control({ sequence: ["malformed", "malformed"] });
    const e = (await gemini()
      .transcribe(range!, DEFAULT_SETTINGS, 0)
      .catch((x: unknown) => x)) as GeminiError;
    expect(e).toMatchObject({ code: "malformed_output", retryable: false });
  });
});
