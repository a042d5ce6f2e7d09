import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOOK_LINES_PER_PAGE, bookLine, bookPdf } from "../fixtures/book";
import { finalJob, getJson, signIn, startStack, upload, type Stack } from "./stack";

// Issue 14, past one book: a generated 1,000-page book through the real stack (`npm start`:
// wrangler dev, workerd, the queues and the tracker), local engine, upload to completed.

const PAGES = 1000;

let stack: Stack;
let token: string;

beforeAll(async () => {
  stack = await startStack({ GEMINI_API_KEY: "" });
  token = await signIn(stack.url, "big-book@example.com");
});

afterAll(async () => {
  await stack?.stop();
});

describe("a 1,000-page book", () => {
  it("completes with every page and the last page's sentences", async () => {
    const pdf = await bookPdf(PAGES);
    const res = await upload(stack.url, token, pdf, "mille-pages.pdf");
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const job = await finalJob(stack, token, id, 300_000, "the 1,000-page job to end");
    expect(job).toMatchObject({ status: "completed", page_count: PAGES, failed_chunks: 0, sentence_count: PAGES * BOOK_LINES_PER_PAGE });
    expect(job.processed_chunks).toBe(job.total_chunks);

    const { status, body: result } = await getJson(`${stack.url}/api/v1/jobs/${id}/result`, token);
    expect(status).toBe(200);
    expect(result.sentences).toHaveLength(PAGES * BOOK_LINES_PER_PAGE);
    const texts = new Set(result.sentences.map((s: { text: string }) => s.text));
    for (let line = 0; line < BOOK_LINES_PER_PAGE; line++) expect(texts.has(bookLine(PAGES, line)), bookLine(PAGES, line)).toBe(true);
    expect(result.sentences.at(-1)).toMatchObject({ text: bookLine(PAGES, BOOK_LINES_PER_PAGE - 1), page: PAGES });
  });
});
