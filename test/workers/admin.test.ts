import { env } from "cloudflare:test";
import parsePrometheus from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { chunkKey } from "../../worker/jobs/keys";
import { tracker } from "../../worker/jobs/service";
import { api, bearer, sessionFor, signIn } from "./http";
import { consume, insertJob, jobRow, jobWithInputs, result, startedJob } from "./jobs";

// The workers project makes ops@example.com and second.op@example.com operators
// (ADMIN_EMAILS) and sets METRICS_TOKEN (vitest.config.ts).

const operator = () => signIn("ops@example.com");
const post = (token: string, path: string, body: unknown) =>
  api(path, { method: "POST", headers: { ...bearer(token), "content-type": "application/json" }, body: JSON.stringify(body) });
const get = async (token: string, path: string) => (await (await api(path, { headers: bearer(token) })).json()) as any;
const auditRows = async (action: string) =>
  (await env.DB.prepare("SELECT * FROM audit_log WHERE action = ? ORDER BY id").bind(action).all<any>()).results;

describe("who may use the console", () => {
  const routes = ["/overview", "/jobs", "/throughput", "/failures", "/spend", "/dead-letters", "/audit", "/users?q=a", "/metrics"];

  it("401 without credentials, 403 for a user who is not an operator, 200 for an operator", async () => {
    const reader = await signIn("reader-admin@example.com");
    const op = await operator();
    const second = await signIn("second.op@example.com");
    for (const r of routes) {
      expect((await api(`/api/v1/admin${r}`)).status, r).toBe(401);
      const refused = await api(`/api/v1/admin${r}`, { headers: bearer(reader) });
      expect(refused.status, r).toBe(403);
      expect(((await refused.json()) as any).error.code).toBe("forbidden");
      expect((await api(`/api/v1/admin${r}`, { headers: bearer(op) })).status, r).toBe(200);
      expect((await api(`/api/v1/admin${r}`, { headers: bearer(second) })).status, r).toBe(200);
    }
    expect((await post(reader, "/api/v1/admin/intake", { paused: true })).status).toBe(403);
    expect((await get(op, "/api/v1/me")).operator).toBe(true);
    expect((await get(reader, "/api/v1/me")).operator).toBe(false);
    expect((await get(second, "/api/v1/auth/session")).operator).toBe(true);
    expect(await auditRows("intake.pause")).toEqual([]);
  });
});

describe("panels", () => {
  it("the health strip says what is measured and what is not", async () => {
    const o = await get(await operator(), "/api/v1/admin/overview");
    expect(o.queues.map((q: any) => q.name)).toEqual(["fnt-plan", "fnt-chunks", "fnt-plan-dlq", "fnt-chunks-dlq"]);
    for (const q of o.queues) {
      // Either a measured number or an explicit "not available", never an unmeasured zero.
      if (q.available) expect(typeof q.backlog).toBe("number");
      else expect(q.backlog).toBeNull();
    }
    expect(o).toMatchObject({ intake: "open", d1: "ok", r2: "ok" });
    expect(typeof o.jobs_running).toBe("number");
  });

  it("lists jobs across users, filtered, searched and paged, newest first", async () => {
    await sessionFor("list-a");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await insertJob("list-a", "completed"));
    ids.push(await insertJob("list-b", "failed"));
    await env.DB.prepare("UPDATE jobs SET original_filename = 'Germinal.pdf' WHERE id = ?").bind(ids[3]).run();
    const op = await operator();
    const byUser = await get(op, "/api/v1/admin/jobs?user=list-a@example.com&limit=2");
    expect(byUser.jobs).toHaveLength(2);
    expect(byUser.jobs[0].owner.email).toBe("list-a@example.com");
    const next = await get(op, `/api/v1/admin/jobs?user=list-a@example.com&limit=2&cursor=${encodeURIComponent(byUser.next_cursor)}`);
    expect(next.jobs).toHaveLength(1);
    expect(next.next_cursor).toBeNull();
    expect(new Set([...byUser.jobs, ...next.jobs].map((j: any) => j.id))).toEqual(new Set(ids.slice(0, 3)));
    expect((await get(op, "/api/v1/admin/jobs?q=germinal")).jobs.map((j: any) => j.id)).toEqual([ids[3]]);
    expect((await get(op, "/api/v1/admin/jobs?q=list-b@")).jobs.map((j: any) => j.id)).toEqual([ids[3]]);
    expect((await get(op, `/api/v1/admin/jobs?q=${ids[1]}`)).jobs.map((j: any) => j.id)).toEqual([ids[1]]);
    const failed = await get(op, "/api/v1/admin/jobs?status=failed&user=list-b");
    expect(failed.jobs.map((j: any) => j.status)).toEqual(["failed"]);
    await env.DB.prepare("UPDATE jobs SET error_code = 'invalid_pdf' WHERE id = ?").bind(ids[3]).run();
    expect((await get(op, "/api/v1/admin/jobs?error_code=invalid_pdf")).jobs.map((j: any) => j.id)).toEqual([ids[3]]);
    expect((await api("/api/v1/admin/jobs?engine=steam", { headers: bearer(op) })).status).toBe(400);
  });

  it("job detail: events, the chunk grid with attempts, latency and errors, credits, files; fed by the real consumer", async () => {
    const { id } = await jobWithInputs("detail-u", [1, 2]);
    await consume("fnt-chunks", [{ job_id: id, chunk: 0 }]);
    // Chunk 1's input goes missing: it fails, is retried, and its last attempt hands the
    // message to the dead-letter queue (a retry past max_retries), whose consumer fails it.
    await env.FILES.delete(chunkKey(id, 1));
    expect((await consume("fnt-chunks", [{ job_id: id, chunk: 1 }], 1)).retryMessages).toHaveLength(1);
    const last = await consume("fnt-chunks", [{ job_id: id, chunk: 1 }], 5);
    expect(last.retryMessages).toHaveLength(1);
    expect(last.explicitAcks).toEqual([]);
    expect((await get(await operator(), `/api/v1/admin/jobs/${id}`)).job.status).toBe("processing");
    await consume("fnt-chunks-dlq", [{ job_id: id, chunk: 1 }]);
    const d = await get(await operator(), `/api/v1/admin/jobs/${id}`);
    expect(d.job).toMatchObject({ id, status: "partial", owner: { email: "detail-u@example.com" } });
    expect(d.events.map((e: any) => e.type)).toContain("partial");
    // The job tells why the chunk failed: its last error, not just "retries exhausted".
    expect(JSON.stringify(d.events.find((e: any) => e.type === "chunk_failed"))).toContain("missing");
    expect(d.chunks).toHaveLength(2);
    expect(d.chunks[0]).toMatchObject({ n: 0, state: "done", attempts: 1, engine: "local" });
    expect(d.chunks[0].latency_ms).toBeGreaterThanOrEqual(0);
    expect(d.chunks[1]).toMatchObject({ n: 1, state: "failed", attempts: 2, last_error_class: "internal" });
    expect(d.chunks[1].last_error).toContain("missing");
    expect(d.credits).toHaveProperty("actual");
    expect(d.files.map((f: any) => f.key)).toEqual(expect.arrayContaining([`jobs/${id}/result.json`]));
    expect((await api(`/api/v1/admin/jobs/${crypto.randomUUID()}`, { headers: bearer(await operator()) })).status).toBe(404);

    const f = await get(await operator(), "/api/v1/admin/failures?range=hour");
    const internal = f.chunk_failures.find((g: any) => g.error_class === "internal");
    expect(internal.attempts).toBeGreaterThanOrEqual(2);
    expect(internal.failed_for_good).toBeGreaterThanOrEqual(1);
    expect(internal.job_ids).toContain(id);
    expect(internal.samples[0].message).toContain("missing");

    const t = await get(await operator(), "/api/v1/admin/throughput?range=hour");
    expect(t.bucket_seconds).toBe(60);
    expect(t.series.length).toBeGreaterThanOrEqual(60);
    expect(t.series.reduce((s: number, b: any) => s + b.chunks, 0)).toBeGreaterThanOrEqual(1);
    expect(t.latency.find((l: any) => l.engine === "local")).toMatchObject({ count: expect.any(Number) });
  });

  it("spend: tokens and credits per day and engine, top users", async () => {
    const id = await insertJob("spender", "completed");
    await env.DB.prepare("UPDATE jobs SET actual_tokens = 5000, actual_millicredits = 5000, completed_at = ? WHERE id = ?")
      .bind(new Date().toISOString(), id)
      .run();
    const s = await get(await operator(), "/api/v1/admin/spend?range=week");
    expect(s.per_day.some((r: any) => r.engine === "local" && r.tokens >= 5000)).toBe(true);
    expect(s.top_users.find((u: any) => u.email === "spender@example.com")).toMatchObject({ credits: 5, tokens: 5000 });
  });
});

describe("actions", () => {
  it("retry the failed chunks of a partial job: it becomes whole, audited; the owner can too", async () => {
    const { id, t } = await jobWithInputs("retry-u", [1, 2]);
    await t.chunkDone(0, result("Un."));
    await t.chunkFailed(1, "the model was unavailable");
    expect((await jobRow(id))!.status).toBe("partial");
    const op = await operator();
    const r = await post(op, `/api/v1/admin/jobs/${id}/retry`, {});
    expect(r.status).toBe(200);
    const out = (await r.json()) as any;
    expect(out.retried_chunks).toEqual([1]);
    expect(out.job.status).toBe("processing");
    // Asking again while it runs changes nothing.
    expect(((await (await post(op, `/api/v1/admin/jobs/${id}/retry`, {})).json()) as any).retried_chunks).toEqual([]);
    await consume("fnt-chunks", [{ job_id: id, chunk: 1 }]);
    const whole = (await jobRow(id))!;
    expect(whole).toMatchObject({ status: "completed", failed_chunks: 0, processed_chunks: 2 });
    const owner = await sessionFor("retry-u");
    const res = (await get(owner, `/api/v1/jobs/${id}/result`)) as any;
    expect(res.sentences.map((s: any) => s.text)).toEqual(["Un.", "Phrase de la page 2.", "Une autre."]);
    expect(res.failed_pages).toEqual([]);
    const rows = (await auditRows("job.retry")).filter((r: any) => r.target_id === id);
    expect(rows.map((r: any) => [r.actor_email, r.target_type, JSON.parse(r.detail)])).toEqual([
      ["ops@example.com", "job", { chunks: [1] }],
      ["ops@example.com", "job", { chunks: [] }],
    ]);

    // The owner's own route; a finished, whole job has nothing to retry; a stranger sees nothing.
    expect((await api(`/api/v1/jobs/${id}/retry`, { method: "POST", headers: bearer(owner) })).status).toBe(409);
    const stranger = await sessionFor("retry-stranger");
    expect((await api(`/api/v1/jobs/${id}/retry`, { method: "POST", headers: bearer(stranger) })).status).toBe(404);
  });

  it("download a job's stored files: byte-exact, audited; nothing outside the job, nothing for a reader", async () => {
    const { id } = await jobWithInputs("files-u", [1]);
    const other = await jobWithInputs("files-other", [1]);
    const pdf = new TextEncoder().encode("%PDF-1.7 a stored upload\n");
    await env.FILES.put(`uploads/${id}/source.pdf`, pdf);
    const op = await operator();
    const listed = (await get(op, `/api/v1/admin/jobs/${id}`)).files.map((f: any) => f.key);
    expect(listed).toEqual(expect.arrayContaining([`uploads/${id}/source.pdf`, chunkKey(id, 0)]));

    const res = await api(`/api/v1/admin/jobs/${id}/files/uploads/${id}/source.pdf`, { headers: bearer(op) });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="source.pdf"');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(pdf);
    const chunk = await api(`/api/v1/admin/jobs/${id}/files/${chunkKey(id, 0)}`, { headers: bearer(op) });
    expect(chunk.headers.get("content-type")).toBe("application/json");
    expect(((await chunk.json()) as any).index).toBe(0);
    const rows = (await auditRows("job.file_download")).filter((r: any) => r.target_id === id);
    expect(rows.map((r: any) => [r.actor_email, JSON.parse(r.detail).key])).toEqual([
      ["ops@example.com", `uploads/${id}/source.pdf`],
      ["ops@example.com", chunkKey(id, 0)],
    ]);

    // Another job's file through this job's route, a missing file, a missing job: 404.
    expect((await api(`/api/v1/admin/jobs/${id}/files/${chunkKey(other.id, 0)}`, { headers: bearer(op) })).status).toBe(404);
    expect((await api(`/api/v1/admin/jobs/${id}/files/jobs/${id}/../${other.id}/chunks/0.json`, { headers: bearer(op) })).status).toBe(404);
    expect((await api(`/api/v1/admin/jobs/${id}/files/jobs/${id}/result.json`, { headers: bearer(op) })).status).toBe(404);
    const ghost = crypto.randomUUID();
    expect((await api(`/api/v1/admin/jobs/${ghost}/files/jobs/${ghost}/result.json`, { headers: bearer(op) })).status).toBe(404);
    // The owner is no operator; no credential at all.
    const owner = await sessionFor("files-u");
    expect((await api(`/api/v1/admin/jobs/${id}/files/uploads/${id}/source.pdf`, { headers: bearer(owner) })).status).toBe(403);
    expect((await api(`/api/v1/admin/jobs/${id}/files/uploads/${id}/source.pdf`)).status).toBe(401);
  });

  it("cancel any job, audited", async () => {
    const { id } = await startedJob([[1, 1]], "cancel-u");
    const r = await post(await operator(), `/api/v1/admin/jobs/${id}/cancel`, {});
    expect(((await r.json()) as any).status).toBe("cancelled");
    expect((await auditRows("job.cancel")).at(-1)).toMatchObject({ target_id: id });
  });

  it("a dead-lettered chunk is kept, replayed once, and a second replay changes nothing", async () => {
    const { id } = await jobWithInputs("dlq-u", [1, 2]);
    await consume("fnt-chunks", [{ job_id: id, chunk: 0 }]);
    await consume("fnt-chunks-dlq", [{ job_id: id, chunk: 1 }]);
    expect((await jobRow(id))!.status).toBe("partial");
    const op = await operator();
    const list = (await get(op, "/api/v1/admin/dead-letters")).dead_letters;
    const dl = list.find((d: any) => d.job_id === id);
    expect(dl).toMatchObject({ queue: "fnt-chunks-dlq", chunk: 1, body: { job_id: id, chunk: 1 }, replayed_at: null });
    const first = (await (await post(op, "/api/v1/admin/dead-letters/replay", { id: dl.id })).json()) as any;
    expect(first).toMatchObject({ replayed: 1, unchanged: 0 });
    expect(await tracker(env, id).pendingChunks()).toEqual([1]);
    const second = (await (await post(op, "/api/v1/admin/dead-letters/replay", { id: dl.id })).json()) as any;
    expect(second).toMatchObject({ replayed: 0, unchanged: 1 });
    await consume("fnt-chunks", [{ job_id: id, chunk: 1 }]);
    expect((await jobRow(id))!.status).toBe("completed");
    expect((await auditRows("dead_letters.replay")).length).toBeGreaterThanOrEqual(2);
    expect((await post(op, "/api/v1/admin/dead-letters/replay", {})).status).toBe(400);
  });

  it("pause intake: uploads answer 503 with Retry-After, running jobs go on; resume", async () => {
    const op = await operator();
    const reader = await signIn("paused-reader@example.com");
    const { id, t } = await startedJob([[1, 1]], "paused-runner");
    expect(((await (await post(op, "/api/v1/admin/intake", { paused: true })).json()) as any).intake).toBe("paused");
    try {
      const up = await post(reader, "/api/v1/credits/reserve", { estimated_tokens: 10 });
      expect(up.status).toBe(503);
      expect(up.headers.get("retry-after")).toBe("300");
      expect(((await up.json()) as any).error.code).toBe("intake_paused");
      const form = new FormData();
      form.set("pdf_file", new Blob(["%PDF-1.4"], { type: "application/pdf" }), "a.pdf");
      expect((await api("/api/v1/jobs", { method: "POST", headers: bearer(reader), body: form })).status).toBe(503);
      expect((await get(op, "/api/v1/admin/overview")).intake).toBe("paused");
      await t.chunkDone(0, result("Toujours."));
      expect((await jobRow(id))!.status).toBe("completed");
    } finally {
      await post(op, "/api/v1/admin/intake", { paused: false });
    }
    expect((await post(reader, "/api/v1/credits/reserve", { estimated_tokens: 10 })).status).toBe(201);
    expect((await auditRows("intake.pause")).length).toBeGreaterThanOrEqual(1);
    expect((await auditRows("intake.resume")).length).toBeGreaterThanOrEqual(1);
    expect((await post(op, "/api/v1/admin/intake", { paused: "yes" })).status).toBe(400);
  });

  it("grant credits to a user, audited; the audit log pages newest first", async () => {
    const lucky = await signIn("granted@example.com");
    const userId = ((await get(lucky, "/api/v1/me")) as any).user.id;
    const op = await operator();
    const found = (await get(op, "/api/v1/admin/users?q=granted@")).users;
    expect(found.map((u: any) => u.id)).toEqual([userId]);
    const r = await post(op, `/api/v1/admin/users/${userId}/grant`, { credits: 25, note: "apology for the outage" });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ user_id: userId, balance: 125 });
    expect((await get(lucky, "/api/v1/credits")).balance).toBe(125);
    expect((await post(op, `/api/v1/admin/users/${userId}/grant`, { credits: -5, note: "x" })).status).toBe(400);
    expect((await post(op, `/api/v1/admin/users/nobody/grant`, { credits: 5, note: "x" })).status).toBe(404);
    const log = await get(op, "/api/v1/admin/audit");
    expect(log.entries[0]).toMatchObject({
      action: "credits.grant",
      actor_email: "ops@example.com",
      target_id: userId,
      detail: { credits: 25, note: "apology for the outage", email: "granted@example.com" },
    });
  });
});

describe("metrics for machines", () => {
  it("speaks the Prometheus text format, to operators and the metrics token only", async () => {
    const { id } = await jobWithInputs("metrics-u", [1]);
    await consume("fnt-chunks", [{ job_id: id, chunk: 0 }]);
    const r = await api("/api/v1/admin/metrics", { headers: bearer("test-metrics-token") });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await r.text();
    const families = parsePrometheus(text);
    const byName = Object.fromEntries(families.map((f) => [f.name, f]));
    expect(byName.fnt_jobs.type).toBe("GAUGE");
    expect(byName.fnt_chunk_attempts_total.type).toBe("COUNTER");
    expect(byName.fnt_chunk_latency_seconds.type).toBe("HISTOGRAM");
    // The parser keeps a histogram's buckets (not its labels, sum or count): those are read here.
    const buckets = byName.fnt_chunk_latency_seconds.metrics[0]!.buckets!;
    const localCount = Number(text.match(/^fnt_chunk_latency_seconds_count\{engine="local"\} (\d+)$/m)![1]);
    expect(localCount).toBeGreaterThanOrEqual(1);
    expect(Number(buckets["+Inf"])).toBe(localCount);
    expect(Object.keys(buckets)).toEqual(expect.arrayContaining(["0.1", "1", "120", "+Inf"]));
    const done = byName.fnt_chunk_attempts_total.metrics.find((m) => m.labels?.outcome === "done" && m.labels?.engine === "local")!;
    const before = Number(done.value);
    // Counters only go up.
    const { id: again } = await jobWithInputs("metrics-u2", [1]);
    await consume("fnt-chunks", [{ job_id: again, chunk: 0 }]);
    await api(`/api/v1/jobs/${again}`, { method: "DELETE", headers: bearer(await sessionFor("metrics-u2")) });
    const later = parsePrometheus(await (await api("/api/v1/admin/metrics", { headers: bearer("test-metrics-token") })).text());
    const after = later
      .find((f) => f.name === "fnt_chunk_attempts_total")!
      .metrics.find((m) => m.labels?.outcome === "done" && m.labels?.engine === "local")!;
    expect(Number(after.value)).toBe(before + 1);
    expect((await api("/api/v1/admin/metrics", { headers: bearer("wrong-token") })).status).toBe(401);
  });
});
