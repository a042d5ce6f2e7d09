import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sessionFor } from "./http";
import { result, startedJob } from "./jobs";

async function finishedJob(owner: string, sentences: string[], finish = true) {
  const { id, t } = await startedJob([[1, 1]], owner);
  if (finish) await t.chunkDone(0, result(...sentences));
  return id;
}

const call = async (token: string, path: string, init: RequestInit = {}) =>
  SELF.fetch(`http://localhost/api/v1/jobs/${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  });

describe("editing sentences", () => {
  it("persists an edit and carries it into the result and every export", async () => {
    const id = await finishedJob("ed1", ["Premiere phrase.", "Il a dit, « oui ».", "Fin."]);
    const token = await sessionFor("ed1");
    const r = await call(token, `${id}/sentences/1`, { method: "PATCH", body: JSON.stringify({ text: "  Il a dit « non ».  " }) });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ index: 1, text: "Il a dit « non ».", edited: true, page: 1 });
    const result = (await (await call(token, `${id}/result`)).json()) as any;
    expect(result.sentences.map((s: any) => s.text)).toEqual(["Premiere phrase.", "Il a dit « non ».", "Fin."]);
    expect(result.sentences[0].edited).toBeUndefined();
    await env.DB.prepare("UPDATE jobs SET original_filename = 'Élégie à Noël.pdf' WHERE id = ?").bind(id).run();
    const txtRes = await call(token, `${id}/result?format=txt`);
    expect(txtRes.headers.get("content-disposition")).toBe(
      `attachment; filename="Elegie a Noel.txt"; filename*=UTF-8''${encodeURIComponent("Élégie à Noël.txt")}`,
    );
    const txt = await txtRes.text();
    expect(txt).toBe("Premiere phrase.\nIl a dit « non ».\nFin.\n");
    const csv = await (await call(token, `${id}/result?format=csv`)).text();
    expect(csv.split("\r\n")[2]).toBe("2,Il a dit « non ».,1,0,,4,yes");
    // A second edit of the same sentence replaces the first.
    await call(token, `${id}/sentences/1`, { method: "PATCH", body: JSON.stringify({ text: "Il a dit, « peut-être »." }) });
    const csv2 = await (await call(token, `${id}/result?format=csv`)).text();
    expect(csv2.split("\r\n")[2]).toBe('2,"Il a dit, « peut-être ».",1,0,,4,yes');
  });

  it("refuses bad edits clearly", async () => {
    const id = await finishedJob("ed2", ["Une."]);
    const token = await sessionFor("ed2");
    const empty = await call(token, `${id}/sentences/0`, { method: "PATCH", body: JSON.stringify({ text: "   " }) });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as any).error.field).toBe("text");
    const missing = await call(token, `${id}/sentences/7`, { method: "PATCH", body: JSON.stringify({ text: "x" }) });
    expect(missing.status).toBe(404);
    const stranger = await sessionFor("ed3");
    const theirs = await call(stranger, `${id}/sentences/0`, { method: "PATCH", body: JSON.stringify({ text: "x" }) });
    expect(theirs.status).toBe(404);
    const running = await finishedJob("ed2", [], false);
    const early = await call(token, `${running}/sentences/0`, { method: "PATCH", body: JSON.stringify({ text: "x" }) });
    expect(early.status).toBe(409);
  });

  it("bounds an edit by the engine's sentence (three times its length, 200 characters at least), however often it is edited", async () => {
    const sentence = "Il partit vers la mer, un matin de juin, sans rien dire à personne.";
    const id = await finishedJob("ed5", ["Oui.", sentence]);
    const token = await sessionFor("ed5");
    const patch = (index: number, text: string) =>
      call(token, `${id}/sentences/${index}`, { method: "PATCH", body: JSON.stringify({ text }) });
    // A short sentence may still be corrected at some length.
    expect((await patch(0, "o".repeat(200))).status).toBe(200);
    const short = await patch(0, "o".repeat(201));
    expect(short.status).toBe(400);
    expect(((await short.json()) as any).error).toMatchObject({ code: "invalid_field", field: "text" });
    const max = 3 * sentence.length;
    expect((await patch(1, "a".repeat(max))).status).toBe(200);
    // The bound is the engine's sentence, not the last edit: edits cannot grow one another.
    const grown = await patch(1, "a".repeat(max + 1));
    expect(grown.status).toBe(400);
    expect(((await grown.json()) as any).error.message).toContain(`at most ${max} characters`);
    const saved = await env.DB.prepare("SELECT length(text) AS n FROM sentence_edits WHERE job_id = ? AND idx = 1")
      .bind(id)
      .first<{ n: number }>();
    expect(saved!.n).toBe(max);
  });

  it("deleting a job removes its files and rows", async () => {
    const id = await finishedJob("ed4", ["Une."]);
    const token = await sessionFor("ed4");
    await call(token, `${id}/sentences/0`, { method: "PATCH", body: JSON.stringify({ text: "Deux." }) });
    expect((await env.FILES.list({ prefix: `jobs/${id}/` })).objects.length).toBeGreaterThan(0);
    const del = await call(token, id, { method: "DELETE" });
    expect(del.status).toBe(204);
    expect((await env.FILES.list({ prefix: `jobs/${id}/` })).objects).toEqual([]);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM sentence_edits WHERE job_id = ?").bind(id).first("n")).toBe(0);
    expect((await call(token, id)).status).toBe(404);
  });
});

describe("corrections and the storage quota", () => {
  it("count toward it in UTF-8 bytes, and one that would pass it is refused with 413", async () => {
    const id = await finishedJob("quota1", ["Une phrase du livre, assez longue pour être corrigée."]);
    const token = await sessionFor("quota1");
    const used = async () =>
      ((await (await SELF.fetch("http://localhost/api/v1/limits", { headers: { authorization: `Bearer ${token}` } })).json()) as any)
        .storage.used_bytes as number;
    const before = await used();
    const text = "Une phrase corrigée, à la main.";
    expect((await call(token, `${id}/sentences/0`, { method: "PATCH", body: JSON.stringify({ text }) })).status).toBe(200);
    expect((await used()) - before).toBe(new TextEncoder().encode(text).byteLength);
    // Near the quota (500 MB here), a correction that would pass it is refused and nothing is saved.
    // The book made larger by what the quota has left, less 10 bytes.
    await env.DB.prepare("UPDATE jobs SET file_size = file_size + ? WHERE id = ?")
      .bind(Number(env.STORAGE_QUOTA_BYTES) - (await used()) - 10, id)
      .run();
    expect(await used()).toBe(Number(env.STORAGE_QUOTA_BYTES) - 10);
    const refused = await call(token, `${id}/sentences/0`, {
      method: "PATCH",
      body: JSON.stringify({ text: "Une autre correction, plus longue que dix octets." }),
    });
    expect(refused.status).toBe(413);
    expect(((await refused.json()) as any).error).toMatchObject({
      code: "storage_quota_exceeded",
      field: "text",
      message: expect.stringContaining("This correction"),
    });
    const saved = await env.DB.prepare("SELECT text FROM sentence_edits WHERE job_id = ?").bind(id).first<{ text: string }>();
    expect(saved!.text).toBe(text);
  });
});

describe("retrying a job's failed pages", () => {
  it("at most 5 retries of one job an hour: then 429 with Retry-After; another job has its own count", async () => {
    const id = await finishedJob("rt1", ["Une."]);
    const other = await finishedJob("rt1", ["Deux."]);
    const token = await sessionFor("rt1");
    const retry = (job: string) => call(token, `${job}/retry`, { method: "POST" });
    for (let i = 0; i < 5; i++) expect((await retry(id)).status).not.toBe(429); // nothing failed: 409 not_retryable, counted all the same
    const refused = await retry(id);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as any).error).toMatchObject({
      code: "rate_limited",
      message: expect.stringContaining("At most 5 retries of one job an hour"),
    });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(3500);
    expect(refused.headers.get("ratelimit-limit")).toBe("5");
    expect((await retry(other)).status).not.toBe(429);
    // Someone else's job is still a 404, not a count of theirs.
    const stranger = await sessionFor("rt2");
    expect((await call(stranger, `${id}/retry`, { method: "POST" })).status).toBe(404);
  });
});
