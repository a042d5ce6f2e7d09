import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ChunkMessage } from "../../schema/api";
import { analysisKey, resultKey, trackerStateKey } from "../../worker/jobs/keys";
import type { JobTracker } from "../../worker/jobs/tracker";
import { api, bearer, sessionFor } from "./http";
import { analysed, consume, jobRow, jobWithInputs, startedJob } from "./jobs";
import { objectStorage } from "./state";

// A finished job's tracker keeps its event log for EVENT_LOG_SECONDS (600 here, wrangler.toml),
// then lets go of all its storage (worker/jobs/release.ts); everything keeps working from R2 and D1.

type Tracker = DurableObjectStub<JobTracker>;
const call = (token: string, path: string, init: RequestInit = {}) =>
  api(`/api/v1/${path}`, { ...init, headers: { ...bearer(token), "content-type": "application/json", ...init.headers } });
const body = async (r: Response) => (await r.json()) as any;

const storage = (t: Tracker) => runInDurableObject(t, (_i, state) => objectStorage(state));

/** The job ended longer ago than the event log is kept, and its alarm runs: the tracker lets go. */
async function letGo(t: Tracker) {
  await runInDurableObject(t, (_i, state) => {
    const m = JSON.parse(state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'job'").one().value);
    m.ended_ms = Date.now() - 601_000;
    state.storage.sql.exec("UPDATE meta SET value = ? WHERE key = 'job'", JSON.stringify(m));
  });
  expect(await runDurableObjectAlarm(t)).toBe(true);
  expect(await storage(t)).toEqual({ keys: [], alarm: null, tables: [] });
}

const FINAL = new Set(["completed", "partial", "failed", "cancelled"]);

/** The messages a job's event socket gets up to its final event, and how it closed (0: still open, closed here). */
async function events(token: string, jobId: string, after = 0) {
  const res = await SELF.fetch(`http://localhost/api/v1/jobs/${jobId}/events?after=${after}`, {
    headers: { Upgrade: "websocket", ...bearer(token) },
  });
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  const messages: any[] = [];
  let code = 0;
  const done = new Promise<void>((resolve) => {
    ws.addEventListener("close", (e) => {
      code = e.code;
      resolve();
    });
    ws.addEventListener("message", (m) => {
      messages.push(JSON.parse(String(m.data)));
      if (FINAL.has(messages.at(-1).type)) setTimeout(resolve, 50); // a close right behind it is seen
    });
  });
  ws.accept();
  await done;
  if (!code) ws.close();
  return { messages, code };
}

const socketRows = async (jobId: string) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM live_sockets WHERE job_id = ?").bind(jobId).first<{ n: number }>())!.n;

describe("a finished job's tracker lets go", () => {
  it("keeps its event log a while, then clears its storage; result, edits, exports, events and the console work from R2 and D1", async () => {
    const token = await sessionFor("rel1");
    const { id, t } = await startedJob(
      [
        [1, 1],
        [2, 2],
      ],
      "rel1",
    );
    await t.chunkDone(0, analysed("Le chat dort.", "Il pleut."));
    await t.chunkDone(1, analysed("Fin du livre."));
    expect((await jobRow(id))!.status).toBe("completed");
    const before = await body(await call(token, `jobs/${id}/result`));
    expect(before.sentences).toHaveLength(3);

    // Within the event log's time: the alarm waits, the log replays the whole story.
    const kept = await storage(t);
    expect(kept.tables).toContain("events");
    expect(kept.alarm! - Date.now()).toBeGreaterThan(590_000);
    expect(await runDurableObjectAlarm(t)).toBe(true);
    expect((await storage(t)).keys.length + (await storage(t)).tables.length).toBeGreaterThan(0);
    const replay = await events(token, id);
    expect(replay.messages.map((e) => e.type)).toEqual(["status", "status", "progress", "progress", "completed"]);
    expect(replay.code).toBe(0); // the tracker holds it
    const last = replay.messages.at(-1).seq;

    await letGo(t);
    expect(await env.FILES.head(trackerStateKey(id))).not.toBeNull();
    expect(await body(await call(token, `jobs/${id}/result`))).toEqual(before);
    const edited = await call(token, `jobs/${id}/sentences/1`, { method: "PATCH", body: JSON.stringify({ text: "Il neige." }) });
    expect(edited.status).toBe(200);
    const csv = await (await call(token, `jobs/${id}/result?format=csv`)).text();
    expect(csv).toContain("Il neige.");
    expect(csv).toContain("Fin du livre.");
    expect((await body(await call(token, `jobs/${id}`))).status).toBe("completed");

    // A client that reconnects gets the final state from D1, numbered after what it saw, and the socket closes.
    const late = await events(token, id, last - 2);
    expect(late.messages).toEqual([
      expect.objectContaining({
        seq: last - 1,
        type: "completed",
        status: "completed",
        progress_percent: 100,
        processed_chunks: 2,
        total_chunks: 2,
      }),
    ]);
    expect(late.code).toBe(1000);
    expect(await socketRows(id)).toBe(0);

    // The console shows the chunk grid from what the tracker left.
    const op = await sessionFor("ops");
    const detail = await body(await api(`/api/v1/admin/jobs/${id}`, { headers: bearer(op) }));
    expect(detail.chunks.map((c: any) => [c.n, c.state, c.first_page, c.sentences])).toEqual([
      [0, "done", 1, 2],
      [1, "done", 2, 1],
    ]);

    // A late chunk message finds no job: acked, and nothing is made again.
    const late2 = await consume("fnt-chunks", [{ job_id: id, chunk: 0 } satisfies ChunkMessage]);
    expect(late2.explicitAcks).toHaveLength(1);
    expect(await storage(t)).toEqual({ keys: [], alarm: null, tables: [] });
  });

  it("retrying a partial job's failed pages after it let go loads the tracker again from R2 and ends whole", async () => {
    const token = await sessionFor("rel2");
    const { id, t } = await jobWithInputs("rel2", [1, 2]);
    await t.chunkDone(0, analysed("Le chat dort.", "Il pleut."));
    await t.chunkFailed(1, "the model was unavailable");
    expect((await jobRow(id))!.status).toBe("partial");
    const analysis = (await (await env.FILES.get(analysisKey(id)))!.json()) as any;
    const seqBefore = (await t.inspect()).events.at(-1)!.seq;
    await letGo(t);

    const r = await call(token, `jobs/${id}/retry`, { method: "POST" });
    expect(r.status).toBe(200);
    expect((await body(r)).retried_chunks).toEqual([1]);
    expect(await t.pendingChunks()).toEqual([1]);
    const inspected = await t.inspect();
    expect(inspected.retries).toBe(1);
    // Its events go on after the ones clients saw.
    expect(inspected.events.map((e) => e.seq)).toEqual([seqBefore, seqBefore + 1]);
    await consume("fnt-chunks", [{ job_id: id, chunk: 1 }]);
    expect(await jobRow(id)).toMatchObject({ status: "completed", failed_chunks: 0, processed_chunks: 2 });
    const whole = await body(await call(token, `jobs/${id}/result`));
    expect(whole.sentences.map((s: any) => [s.text, s.chunk])).toEqual([
      ["Le chat dort.", 0],
      ["Il pleut.", 0],
      ["Phrase de la page 2.", 1],
      ["Une autre.", 1],
    ]);
    // The first chunk's lemmas came back from the stored analysis, not tagged again.
    const after = (await (await env.FILES.get(analysisKey(id)))!.json()) as any;
    expect(after.sentences.slice(0, 2).map((e: string) => e.split(" ")[0])).toEqual(analysis.sentences.map((e: string) => e.split(" ")[0]));
    expect(after.sentences.slice(0, 2).every(Boolean)).toBe(true);
  });

  it("a cancelled job's finished chunks stay its result", async () => {
    const token = await sessionFor("rel3");
    const { id, t } = await startedJob(
      [
        [1, 1],
        [2, 2],
      ],
      "rel3",
    );
    await t.chunkDone(0, analysed("Avant l'annulation."));
    await t.cancel();
    expect(await env.FILES.head(resultKey(id))).toBeNull();
    const before = await body(await call(token, `jobs/${id}/result`));
    expect(before.sentences.map((s: any) => s.text)).toEqual(["Avant l'annulation."]);
    await letGo(t);
    expect(await body(await call(token, `jobs/${id}/result`))).toEqual(before);
    // Nothing to retry: the tracker loaded for the question lets go again at its next alarm.
    expect((await call(token, `jobs/${id}/retry`, { method: "POST" })).status).toBe(409);
    expect((await storage(t)).alarm).not.toBeNull();
    expect(await runDurableObjectAlarm(t)).toBe(true);
    expect(await storage(t)).toEqual({ keys: [], alarm: null, tables: [] });
  });
});
