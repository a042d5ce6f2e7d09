import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sequenceScore, words } from "../unit/metrics";
import { FINAL_STATUSES, type JobStatus } from "../../schema/api";
import { analyseSentence } from "../../worker/learning/analyse";
import { CORPUS, finalJob, getJson, ROOT, signIn, startStack, upload, waitFor, type Stack } from "./stack";

// The whole platform as `npm start` runs it: wrangler dev with workerd, the real D1, R2,
// queues (consumers included) and the JobTracker Durable Object over HTTP and WebSocket.

const novel = (name: string) => new Uint8Array(readFileSync(path.join(CORPUS, "novels", name)));
// The limit is set low for this stack so an oversized upload is quick to send.
const MAX_UPLOAD = 3 * 1024 * 1024;

let stack: Stack;
let token: string;
/** The novel's job, completed with the default settings: the learning sets run over it. */
let novelJob: string | undefined;

beforeAll(async () => {
  stack = await startStack({ MAX_UPLOAD_BYTES: String(MAX_UPLOAD) });
  token = await signIn(stack.url, "reader@example.com");
});

afterAll(async () => {
  await stack?.stop();
});

interface Ev {
  seq: number;
  type: string;
  status: JobStatus;
  progress_percent: number;
  processed_chunks: number;
  total_chunks: number;
}

/** Collects a job's events over its WebSocket until a final one arrives. */
function collectEvents(id: string, after = 0, stopOnFinal = true): { events: Ev[]; done: Promise<Ev[]>; close: () => void } {
  const events: Ev[] = [];
  const ws = new WebSocket(
    `${stack.url.replace("http", "ws")}/api/v1/jobs/${id}/events?after=${after}&access_token=${encodeURIComponent(token)}`,
  );
  const done = new Promise<Ev[]>((resolve, reject) => {
    ws.onmessage = (m) => {
      const e = JSON.parse(String(m.data)) as Ev;
      events.push(e);
      if (stopOnFinal && FINAL_STATUSES.includes(e.status)) {
        ws.close();
        resolve(events);
      }
    };
    ws.onerror = () => reject(new Error("websocket error"));
  });
  return { events, done, close: () => ws.close() };
}

describe("the 325-page novel through the local stack", () => {
  let jobId: string;
  let job: any;
  let events: Ev[];

  it("answers 202 at once and completes", async () => {
    const res = await upload(stack.url, token, novel("verne-deux-ans-de-vacances.pdf"), "verne.pdf");
    expect(res.status).toBe(202);
    const created = (await res.json()) as any;
    expect(created.status).toBe("queued");
    expect(created.links).toEqual({
      self: `/api/v1/jobs/${created.id}`,
      result: `/api/v1/jobs/${created.id}/result`,
      events: `/api/v1/jobs/${created.id}/events`,
      cancel: `/api/v1/jobs/${created.id}/cancel`,
    });
    jobId = created.id;
    novelJob = jobId;
    const live = collectEvents(jobId);
    job = await finalJob(stack, token, jobId, 8 * 60_000);
    events = await Promise.race([live.done, new Promise<Ev[]>((r) => setTimeout(() => r(live.events), 10_000))]);
    live.close();
    expect(job.status).toBe("completed");
    expect(job.page_count).toBe(325);
    expect(job.total_chunks).toBeGreaterThan(10);
    expect(job.processed_chunks).toBe(job.total_chunks);
    expect(job.failed_chunks).toBe(0);
    expect(job.progress_percent).toBe(100);
    expect(job.engine).toBe("local");
    expect(job.completed_at).not.toBeNull();
  });

  it("streamed progress events in order over the WebSocket", () => {
    expect(events.length).toBeGreaterThan(job.total_chunks);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    for (let i = 1; i < events.length; i++) {
      expect(events[i]!.progress_percent).toBeGreaterThanOrEqual(events[i - 1]!.progress_percent);
    }
    expect(events.some((e) => e.status === "processing" && e.progress_percent > 5 && e.progress_percent < 100)).toBe(true);
    expect(events.at(-1)!.status).toBe("completed");
  });

  it("replays what was missed when a client reconnects with ?after", async () => {
    const replay = collectEvents(jobId, 3);
    const got = await replay.done;
    expect(got.map((e) => e.seq)).toEqual(events.slice(3).map((e) => e.seq));
  });

  it("recovers at least 99.5% of the source words in order, without headers or page numbers", async () => {
    const { status, body } = await getJson(`${stack.url}/api/v1/jobs/${jobId}/result`, token);
    expect(status).toBe(200);
    expect(body.complete).toBe(true);
    const sentences: { text: string; page: number; chunk: number }[] = body.sentences;
    expect(sentences.length).toBe(job.sentence_count);
    const source = readFileSync(path.join(CORPUS, "novels", "verne-deux-ans-de-vacances.source.txt"), "utf8");
    const score = sequenceScore(words(sentences.map((s) => s.text).join(" ")), words(source));
    expect(score.recall).toBeGreaterThanOrEqual(0.995);
    expect(score.precision).toBeGreaterThanOrEqual(0.995);
    // The running header is the title; the source names it only where the story does.
    const count = (text: string) => text.split(/Deux ans de vacances/i).length - 1;
    expect(count(sentences.map((s) => s.text).join("\n"))).toBeLessThanOrEqual(count(source));
    expect(sentences.filter((s) => /^\s*\d{1,3}\s*$/.test(s.text))).toEqual([]);
    // Pages and chunks are in reading order.
    for (let i = 1; i < sentences.length; i++) {
      expect(sentences[i]!.chunk).toBeGreaterThanOrEqual(sentences[i - 1]!.chunk);
      expect(sentences[i]!.page).toBeGreaterThanOrEqual(sentences[i - 1]!.page);
    }
  });

  it("exports txt, csv and tsv", async () => {
    const get = (f: string) =>
      fetch(`${stack.url}/api/v1/jobs/${jobId}/result?format=${f}`, { headers: { authorization: `Bearer ${token}` } });
    const txt = await get("txt");
    expect(txt.headers.get("content-type")).toMatch(/text\/plain/);
    const lines = (await txt.text()).trimEnd().split("\n");
    expect(lines.length).toBe(job.sentence_count);
    const csvBytes = new Uint8Array(await (await get("csv")).arrayBuffer());
    expect([...csvBytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // BOM, so spreadsheets read UTF-8
    const csv = new TextDecoder().decode(csvBytes);
    expect(csv.split("\r\n")[0]).toBe("index,sentence,page,chunk,original,word_count,has_verb");
    const tsv = await (await get("tsv")).text();
    expect(tsv.trimEnd().split("\r\n").length).toBe(job.sentence_count + 1);
    expect((await get("xml")).status).toBe(400);
  });

  it("lists the caller's jobs, newest first, paginated", async () => {
    const first = await getJson(`${stack.url}/api/v1/jobs?limit=1`, token);
    expect(first.status).toBe(200);
    expect(first.body.jobs).toHaveLength(1);
    const other = await signIn(stack.url, "someone-else@example.com");
    const theirs = await getJson(`${stack.url}/api/v1/jobs`, other);
    expect(theirs.body.jobs).toEqual([]);
  });
});

describe("a learning set of the novel (the default list), on the stack's queue", () => {
  const api = (p: string, init: RequestInit = {}, who = token) =>
    fetch(`${stack.url}/api/v1/${p}`, {
      ...init,
      headers: { authorization: `Bearer ${who}`, ...(typeof init.body === "string" ? { "content-type": "application/json" } : {}) },
    });
  const run = async (body: unknown) => {
    const r = await api("learning-sets", { method: "POST", body: JSON.stringify(body) });
    expect(r.status).toBe(201);
    const { id } = (await r.json()) as any;
    return waitFor(
      async () => {
        const set = (await (await api(`learning-sets/${id}`)).json()) as any;
        return set.status === "running" ? undefined : set;
      },
      120_000,
      `learning set ${id}`,
    );
  };
  const jobOf = () => {
    if (!novelJob) throw new Error("the novel's job did not run");
    return novelJob;
  };

  it("coverage: a valid cover of every found word, within bounds with a verb, none redundant, most new words first", async () => {
    const set = await run({ job_ids: [jobOf()] });
    expect(set.status).toBe("completed");
    expect(set.list_words).toBeGreaterThanOrEqual(1900);
    expect(set.found_words).toBeGreaterThan(100);
    expect(set.covered_words).toBe(set.found_words);
    expect(set.uncovered.length).toBe(set.list_words - set.found_words);
    const { sentences } = (await (await api(`learning-sets/${set.id}/sentences`)).json()) as any;
    expect(sentences).toHaveLength(set.sentence_count);
    // Checked here with the same lemmatizer, from the job's own result: every eligible sentence's
    // list words are covered by the returned ones.
    const result = (await (await api(`jobs/${jobOf()}/result`)).json()) as any;
    const list = new Set<string>(((await (await api("wordlists/default")).json()) as any).words.map((w: any) => w.lemma));
    const covered = new Set<string>(sentences.flatMap((s: any) => s.list_words));
    let eligible = 0;
    for (const s of result.sentences) {
      const a = analyseSentence(jobOf(), s);
      if (a.word_count < 4 || a.word_count > 8 || !a.has_verb) continue;
      eligible++;
      for (const w of a.words.flat()) if (list.has(w)) expect(covered.has(w), w).toBe(true);
    }
    expect(set.eligible_sentences).toBe(eligible);
    const seen = new Set<string>();
    for (const [i, s] of sentences.entries()) {
      expect(s.text).toBe(result.sentences[s.index].text);
      expect(s.word_count).toBeGreaterThanOrEqual(4);
      expect(s.word_count).toBeLessThanOrEqual(8);
      expect(s.has_verb).toBe(true);
      expect(s.new_words.length).toBeGreaterThan(0);
      for (const w of s.new_words) expect(seen.has(w)).toBe(false);
      for (const w of s.list_words) seen.add(w);
      if (i > 0) expect(s.new_words.length).toBeLessThanOrEqual(sentences[i - 1].new_words.length);
    }
  });

  it("filter, a run over two books, a list from CSV with unknown entries reported; another reader gets 404", async () => {
    const filter = await run({ job_ids: [jobOf()], mode: "filter", min_known_ratio: 0.9 });
    expect(filter).toMatchObject({ status: "completed", mode: "filter" });
    const fs = ((await (await api(`learning-sets/${filter.id}/sentences`)).json()) as any).sentences;
    expect(fs.length).toBeGreaterThan(0);
    for (const s of fs) expect(s.known_ratio).toBeGreaterThanOrEqual(0.9);

    const extrait = await upload(stack.url, token, novel("maupassant-une-vie-extrait.pdf"), "extrait.pdf", { sentence_length_limit: "8" });
    const second = ((await extrait.json()) as any).id;
    expect((await finalJob(stack, token, second, 120_000)).status).toBe("completed");
    const form = new FormData();
    form.set("name", "Mes mots");
    form.set("file", new Blob(["mot\nmaison\nyeux\nallait\nzzgrompf\n"], { type: "text/csv" }), "mots.csv");
    const created = await api("wordlists", { method: "POST", body: form });
    expect(created.status).toBe(201);
    const list = (await created.json()) as any;
    expect(list.unknown).toEqual(["zzgrompf"]);
    const both = await run({ job_ids: [jobOf(), second], wordlist_id: list.id });
    expect(both).toMatchObject({ status: "completed", list_words: 4 });
    expect(both.uncovered).toContain("zzgrompf");

    const other = await signIn(stack.url, "another-learner@example.com");
    expect((await api(`learning-sets/${both.id}`, {}, other)).status).toBe(404);
    expect((await api(`wordlists/${list.id}`, {}, other)).status).toBe(404);
  });
});

describe("cancel", () => {
  it("stops a job: it ends cancelled and no chunk is processed after", async () => {
    const res = await upload(stack.url, token, novel("maupassant-une-vie.pdf"), "une-vie.pdf");
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as any;
    const c = await fetch(`${stack.url}/api/v1/jobs/${id}/cancel`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(c.status).toBe(200);
    const cancelled = (await c.json()) as any;
    expect(cancelled.status).toBe("cancelled");
    await new Promise((r) => setTimeout(r, 5000));
    const { body } = await getJson(`${stack.url}/api/v1/jobs/${id}`, token);
    expect(body.status).toBe("cancelled");
    expect(body.processed_chunks).toBe(cancelled.processed_chunks);
  });
});

describe("bad input: a clear error, nothing stuck", () => {
  const errorOf = async (res: Response) => ((await res.json()) as any).error;

  it("refuses a text file renamed .pdf with 415", async () => {
    const res = await upload(stack.url, token, new TextEncoder().encode("Ceci n'est pas un PDF.\n"), "livre.pdf");
    expect(res.status).toBe(415);
    const e = await errorOf(res);
    expect(e.code).toBe("unsupported_media_type");
    expect(e.request_id).toBeTruthy();
  });

  it("refuses an empty file with 400", async () => {
    const res = await upload(stack.url, token, new Uint8Array(0), "vide.pdf");
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("empty_file");
  });

  it("refuses an oversized upload with 413", async () => {
    const big = new Uint8Array(MAX_UPLOAD + 200_000);
    big.set(new TextEncoder().encode("%PDF-1.7\n"));
    const res = await upload(stack.url, token, big, "gros.pdf");
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("file_too_large");
  });

  it("refuses an invalid setting with 400 naming the field", async () => {
    const res = await upload(stack.url, token, novel("maupassant-une-vie-extrait.pdf"), "x.pdf", {
      sentence_length_limit: "beaucoup",
    });
    expect(res.status).toBe(400);
    const e = await errorOf(res);
    expect(e.field).toBe("sentence_length_limit");
    expect(e.message).toMatch(/sentence_length_limit/);
  });

  it("needs a valid token: 401", async () => {
    const r1 = await fetch(`${stack.url}/api/v1/jobs`);
    expect(r1.status).toBe(401);
    const r2 = await fetch(`${stack.url}/api/v1/jobs`, { headers: { authorization: "Bearer nonsense" } });
    expect(r2.status).toBe(401);
    expect((await errorOf(r2)).code).toBe("unauthorized");
  });

  const failsWith = async (bytes: Uint8Array, code: string) => {
    const res = await upload(stack.url, token, bytes, "f.pdf");
    expect(res.status).toBe(202);
    const job = await finalJob(stack, token, ((await res.json()) as any).id, 60_000);
    expect(job.status).toBe("failed");
    expect(job.error_code).toBe(code);
    expect(job.error_message).toMatch(/[a-z]{3,}/);
    expect(job.error_message).not.toMatch(/at .*\.ts:\d+|Error:/);
  };

  it("an encrypted PDF ends failed with encrypted_pdf", async () => {
    await failsWith(new Uint8Array(readFileSync(path.join(ROOT, "test/fixtures/encrypted.pdf"))), "encrypted_pdf");
  });

  it("a PDF without a text layer ends failed with no_text_layer", async () => {
    await failsWith(novel("maupassant-une-vie-extrait.scan.pdf"), "no_text_layer");
  });

  it("a broken PDF ends failed with invalid_pdf", async () => {
    const broken = novel("maupassant-une-vie-extrait.pdf").slice(0, 4000);
    await failsWith(broken, "invalid_pdf");
  });

  it("a stranger's job is 404 everywhere", async () => {
    const res = await upload(stack.url, token, novel("maupassant-une-vie-extrait.pdf"), "mine.pdf");
    const { id } = (await res.json()) as any;
    const other = await signIn(stack.url, "stranger@example.com");
    const h = { authorization: `Bearer ${other}` };
    expect((await fetch(`${stack.url}/api/v1/jobs/${id}`, { headers: h })).status).toBe(404);
    expect((await fetch(`${stack.url}/api/v1/jobs/${id}/result`, { headers: h })).status).toBe(404);
    expect((await fetch(`${stack.url}/api/v1/jobs/${id}/cancel`, { method: "POST", headers: h })).status).toBe(404);
    expect((await fetch(`${stack.url}/api/v1/jobs/${id}/events`, { headers: h })).status).toBe(404);
    const mine = await finalJob(stack, token, id, 60_000);
    expect(mine.status).toBe("completed");
  });
});
