import { PDFDocument, StandardFonts } from "pdf-lib";
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { DEFAULT_SETTINGS } from "../../schema/settings";
import worker from "../../worker/index";
import { chunkKey } from "../../worker/jobs/keys";
import { tracker } from "../../worker/jobs/service";
import { withAnalysis } from "../../worker/learning/analyse";
import type { NormalizeResult } from "../../worker/pipeline/types";

// Jobs made directly in D1 and their tracker, with no plan message sent, so nothing but
// the test itself moves them.

/** A job row in `status`, owned by `owner` (created if new). */
export async function insertJob(owner = "u1", status = "queued"): Promise<string> {
  const id = crypto.randomUUID();
  const now = new Date().toISOString();
  await env.DB.prepare("INSERT OR IGNORE INTO users (id, email, issuer, subject) VALUES (?, ?, 'test', ?)")
    .bind(owner, `${owner}@example.com`, owner)
    .run();
  await env.DB.prepare(
    `INSERT INTO jobs (id, owner_id, status, original_filename, settings, engine, created_at, updated_at)
     VALUES (?, ?, ?, 'livre.pdf', ?, 'local', ?, ?)`,
  )
    .bind(id, owner, status, JSON.stringify(DEFAULT_SETTINGS), now, now)
    .run();
  return id;
}

/** A job that is processing, with one chunk per `[first_page, last_page]`. */
export async function startedJob(chunks: [number, number][], owner = "u1") {
  const id = await insertJob(owner);
  const t = tracker(env, id);
  await t.register(id, DEFAULT_SETTINGS);
  if (!(await t.planning())) throw new Error("planning refused");
  const started = await t.start({
    page_count: chunks.at(-1)![1],
    chunks: chunks.map(([first_page, last_page]) => ({ first_page, last_page })),
    estimated_tokens: 100,
  });
  if (!started) throw new Error("start refused");
  return { id, t };
}

export const result = (...texts: string[]): NormalizeResult => ({
  sentences: texts.map((text, i) => ({ text, page: 1, paragraph: i })),
  tokens: 0,
});

/** The same sentences as the chunk consumer hands them over: tagged, their lemmas attached. */
export const analysed = (...texts: string[]): NormalizeResult => {
  const r = result(...texts);
  return { ...r, sentences: r.sentences.map(withAnalysis) };
};

export const jobRow = (id: string) => env.DB.prepare("SELECT * FROM jobs WHERE id = ?").bind(id).first<Record<string, any>>();

/** A processing job whose chunk n input is in R2, so the real chunk consumer can run it. */
export async function jobWithInputs(owner: string, pages: number[]) {
  const { id, t } = await startedJob(
    pages.map((p) => [p, p]),
    owner,
  );
  for (const [n, page] of pages.entries()) {
    const chunk = {
      index: n,
      first_paragraph: n,
      paragraphs: [{ text: `Phrase de la page ${page}. Une autre.`, page }],
      first_page: page,
      last_page: page,
    };
    await env.FILES.put(chunkKey(id, n), JSON.stringify(chunk));
  }
  return { id, t };
}

/** Runs the real chunk consumer over messages; follow-up sends are captured, not consumed. */
export async function consume(queue: string, bodies: unknown[], attempts = 1) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body, i) => ({ id: `m${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  const sink = { send: async () => undefined, sendBatch: async () => undefined };
  await worker.queue(batch as MessageBatch<any>, { ...env, CHUNK_QUEUE: sink } as unknown as Env, ctx);
  return getQueueResult(batch, ctx);
}

/** A text PDF of `pages` pages, made here (no corpus inside workerd). */
export async function textPdf(pages: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.TimesRoman);
  for (let p = 0; p < pages; p++) {
    const page = doc.addPage([400, 600]);
    for (let line = 0; line < 30; line++) {
      page.drawText(`Il marchait lentement le long du quai, la nuit tombait. Ligne ${line} page ${p}.`, {
        x: 20,
        y: 570 - line * 18,
        size: 9,
        font,
      });
    }
  }
  return doc.save();
}
