import { env } from "cloudflare:test";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { api, bearer, signIn } from "./http";

async function pdf(text: string): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.TimesRoman);
  doc.addPage([300, 400]).drawText(text, { x: 20, y: 350, size: 10, font });
  return doc.save();
}

/** A fresh multipart body each time (a new boundary), as a client's retry would send. */
function form(file: Uint8Array, fields: Record<string, string> = {}) {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  f.set("pdf_file", new Blob([file as Uint8Array<ArrayBuffer>], { type: "application/pdf" }), "livre.pdf");
  return f;
}

const upload = (token: string, key: string | null, body: FormData) =>
  api("/api/v1/jobs", { method: "POST", headers: { ...bearer(token), ...(key ? { "idempotency-key": key } : {}) }, body });

const reserve = (token: string, key: string, body: string) =>
  api("/api/v1/credits/reserve", {
    method: "POST",
    headers: { ...bearer(token), "content-type": "application/json", "idempotency-key": key },
    body,
  });

const jobCount = async (email: string) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs j JOIN users u ON u.id = j.owner_id WHERE u.email = ?")
    .bind(email)
    .first<{ n: number }>())!.n;

describe("Idempotency-Key on job creation", () => {
  it("the same key and upload answer the same job once, whatever the multipart boundary", async () => {
    const token = await signIn("idem1@example.com");
    const file = await pdf("Il pleuvait.");
    const first = await upload(token, "key-1", form(file, { sentence_length_limit: "20" }));
    expect(first.status).toBe(202);
    const body = (await first.json()) as any;
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const again = await upload(token, "key-1", form(file, { sentence_length_limit: "20" }));
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("location")).toBe(`/api/v1/jobs/${body.id}`);
    expect(((await again.json()) as any).id).toBe(body.id);
    expect(await jobCount("idem1@example.com")).toBe(1);
    // No second slot of the hourly limit was taken.
    const limits = (await (await api("/api/v1/limits", { headers: bearer(token) })).json()) as any;
    expect(limits.jobs_per_hour.remaining).toBe(9);
    // Nothing of the replayed upload was stored.
    expect((await env.FILES.list({ prefix: "uploads/replay" })).objects).toEqual([]);
  });

  it("the same key with another body is 422; on another route too", async () => {
    const token = await signIn("idem2@example.com");
    const file = await pdf("Il neigeait.");
    expect((await upload(token, "key-2", form(file))).status).toBe(202);
    const otherFile = await upload(token, "key-2", form(await pdf("Il ventait.")));
    expect(otherFile.status).toBe(422);
    expect(((await otherFile.json()) as any).error).toMatchObject({ code: "idempotency_key_reused", field: "Idempotency-Key" });
    expect((await upload(token, "key-2", form(file, { min_sentence_length: "3" }))).status).toBe(422);
    expect((await reserve(token, "key-2", JSON.stringify({ estimated_tokens: 10 }))).status).toBe(422);
    expect(await jobCount("idem2@example.com")).toBe(1);
  });

  it("a retry while the first is still answered is 409; a failed first answer is not kept", async () => {
    const token = await signIn("idem3@example.com");
    const userId = ((await (await api("/api/v1/me", { headers: bearer(token) })).json()) as any).user.id;
    const now = new Date().toISOString();
    await env.DB.prepare(
      "INSERT INTO idempotency_keys (user_id, key, route, state, created_at, expires_at) VALUES (?, 'busy', 'jobs.create', 'in_progress', ?, ?)",
    )
      .bind(userId, now, new Date(Date.now() + 60_000).toISOString())
      .run();
    const busy = await upload(token, "busy", form(await pdf("Un.")));
    expect(busy.status).toBe(409);
    expect(((await busy.json()) as any).error.code).toBe("idempotency_in_progress");

    const notPdf = new FormData();
    notPdf.set("pdf_file", new Blob(["hello"], { type: "application/pdf" }), "x.pdf");
    expect((await upload(token, "retry-me", notPdf)).status).toBe(415);
    const fixed = await upload(token, "retry-me", form(await pdf("Deux.")));
    expect(fixed.status).toBe(202);
    expect(fixed.headers.get("idempotent-replayed")).toBeNull();
  });

  it("keys are per user, last 24 hours, and must be visible ASCII", async () => {
    const a = await signIn("idem4a@example.com");
    const b = await signIn("idem4b@example.com");
    const file = await pdf("Trois.");
    const ja = (await (await upload(a, "shared", form(file))).json()) as any;
    const jb = (await (await upload(b, "shared", form(file))).json()) as any;
    expect(ja.id).not.toBe(jb.id);
    await env.DB.prepare("UPDATE idempotency_keys SET expires_at = '2000-01-01T00:00:00.000Z' WHERE key = 'shared'").run();
    const later = (await (await upload(a, "shared", form(file))).json()) as any;
    expect(later.id).not.toBe(ja.id);
    for (const bad of ["x".repeat(256), "clé"]) {
      const r = await upload(a, bad, form(file));
      expect(r.status).toBe(400);
      expect(((await r.json()) as any).error.field).toBe("Idempotency-Key");
    }
  });

  it("reserve: the same key and JSON (in any order or spacing) hold credits once", async () => {
    const token = await signIn("idem5@example.com");
    const first = await reserve(token, "r-1", JSON.stringify({ estimated_tokens: 20_000, gemini_model: "gemini-2.5-flash" }));
    expect(first.status).toBe(201);
    const r1 = (await first.json()) as any;
    const again = await reserve(token, "r-1", `{ "gemini_model": "gemini-2.5-flash",   "estimated_tokens": 20000 }`);
    expect(again.status).toBe(201);
    expect(((await again.json()) as any).job_id).toBe(r1.job_id);
    const credits = (await (await api("/api/v1/credits", { headers: bearer(token) })).json()) as any;
    expect(credits.reserved).toBe(20);
    expect((await reserve(token, "r-1", JSON.stringify({ estimated_tokens: 30_000 }))).status).toBe(422);
  });

  it("process-pdf-async: a retried start answers the same, without it the job is already taken (409)", async () => {
    const token = await signIn("idem6@example.com");
    const { job_id } = (await (await reserve(token, "r-6", JSON.stringify({ estimated_tokens: 1000 }))).json()) as any;
    const file = await pdf("Quatre.");
    const start = (key: string | null) => {
      const f = form(file);
      f.set("job_id", job_id);
      return api("/api/v1/process-pdf-async", {
        method: "POST",
        headers: { ...bearer(token), ...(key ? { "idempotency-key": key } : {}) },
        body: f,
      });
    };
    const first = await start("p-6");
    expect(first.status).toBe(202);
    const again = await start("p-6");
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual(await first.json());
    expect((await start(null)).status).toBe(409);
  });
});
