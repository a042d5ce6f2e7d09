import { createExecutionContext, createMessageBatch, env, getQueueResult, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ChunkMessage } from "../../schema/api";
import worker from "../../worker/index";
import { analysisKey, jobPrefixes } from "../../worker/jobs/keys";
import { tracker } from "../../worker/jobs/service";
import { recordAttempt } from "../../worker/ops/attempts";
import { withAnalysis } from "../../worker/learning/analyse";
import { AnalysisWriter } from "../../worker/learning/stored";
import { sessionFor } from "./http";
import { objectStorage, tablesHolding } from "./state";
import { analysed, jobRow, result, startedJob } from "./jobs";

const call = (token: string, path: string, init: RequestInit = {}) =>
  SELF.fetch(`http://localhost/api/v1/${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      ...(typeof init.body === "string" ? { "content-type": "application/json" } : {}),
      ...(init.headers ?? {}),
    },
  });
const post = (token: string, path: string, body: unknown) => call(token, path, { method: "POST", body: JSON.stringify(body) });

/**
 * A finished job of one chunk: `analysed`, its chunk went through the chunk consumer's tagging,
 * so the tracker stores its lemmas; else as a job stored before they were kept (none stored).
 */
async function finishedJob(owner: string, sentences: string[], withLemmas = false) {
  const { id, t } = await startedJob([[1, 1]], owner);
  await t.chunkDone(0, withLemmas ? analysed(...sentences) : result(...sentences));
  return id;
}

/** Waits for the run's consumer (the real queue) to end it. */
async function finished(token: string, id: string) {
  for (let i = 0; i < 200; i++) {
    const set = (await (await call(token, `learning-sets/${id}`)).json()) as any;
    if (set.status !== "running") return set;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the learning set never finished");
}

const BOOK = [
  "Le chat mange la souris.", // 5 words, verb
  "Le chien mange.", // 3 words: too short
  "Le petit chat dort dans la maison.", // 7 words
  "La maison du chien est grande.", // du = de + le, 6 words
  "Une maison très grande et très belle sans aucun verbe ni action ici.", // too long
  "La grande maison blanche.", // no verb
  "Il mange une pomme rouge.",
];

describe("word lists", () => {
  it("lists the default first, creates from CSV with unknown entries kept and reported, renames, deletes", async () => {
    const token = await sessionFor("wl1");
    const lists = (await (await call(token, "wordlists")).json()) as any;
    expect(lists.wordlists[0]).toMatchObject({ id: "default", is_default: true });
    expect(lists.wordlists[0].lemma_count).toBeGreaterThanOrEqual(1900);

    const form = new FormData();
    form.append("name", "Mes mots");
    form.append(
      "file",
      new File(['mot,fréquence\n# animals\nchat,10\nyeux;3\n"allait",2\nbon|bonne\nzzgrompf\n\n'], "mots.csv", { type: "text/csv" }),
    );
    const created = await call(token, "wordlists", { method: "POST", body: form });
    expect(created.status).toBe(201);
    const list = (await created.json()) as any;
    expect(list.name).toBe("Mes mots");
    expect(list.words).toEqual([
      { word: "chat", lemma: "chat", known: true },
      { word: "yeux", lemma: "œil", known: true },
      { word: "allait", lemma: "aller", known: true },
      { word: "bon|bonne", lemma: "bon", known: true },
      { word: "zzgrompf", lemma: "zzgrompf", known: false },
    ]);
    expect(list.unknown).toEqual(["zzgrompf"]);
    expect(list.unknown_count).toBe(1);

    const got = (await (await call(token, `wordlists/${list.id}`)).json()) as any;
    expect(got.words).toHaveLength(5);
    const renamed = await call(token, `wordlists/${list.id}`, { method: "PATCH", body: JSON.stringify({ name: "Animaux" }) });
    expect(((await renamed.json()) as any).name).toBe("Animaux");

    const stranger = await sessionFor("wl2");
    expect((await call(stranger, `wordlists/${list.id}`)).status).toBe(404);
    expect((await call(stranger, `wordlists/${list.id}`, { method: "DELETE" })).status).toBe(404);
    expect((await call(token, "wordlists/default", { method: "DELETE" })).status).toBe(403);
    expect((await call(token, `wordlists/${list.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await call(token, `wordlists/${list.id}`)).status).toBe(404);
  });

  it("refuses bad files clearly: not text 415, empty 400, over 20,000 entries 413, 51st list 409", async () => {
    const token = await sessionFor("wl3");
    const upload = (body: string | Uint8Array<ArrayBuffer>, name = "list.txt") => {
      const form = new FormData();
      form.append("file", new File([body], name));
      return call(token, "wordlists", { method: "POST", body: form });
    };
    const pdf = await upload("%PDF-1.7\n1 0 obj\n", "list.csv");
    expect(pdf.status).toBe(415);
    expect(((await pdf.json()) as any).error.code).toBe("unsupported_file_type");
    expect((await upload(new Uint8Array([0x41, 0, 0x42, 0]))).status).toBe(415);
    expect((await upload("# only a comment\n\n")).status).toBe(400);
    expect((await upload("")).status).toBe(400);
    const many = Array.from({ length: 20_001 }, (_, i) => `mot${i}`).join("\n");
    const big = await upload(many);
    expect(big.status).toBe(413);
    expect(((await big.json()) as any).error.code).toBe("too_many_entries");
    expect((await post(token, "wordlists", { name: "", words: ["chat"] })).status).toBe(400);
    expect((await post(token, "wordlists", { name: "x", words: [] })).status).toBe(400);
    // Latin-1, as an old spreadsheet writes it: "été" read right.
    const latin = await upload(new Uint8Array([0xe9, 0x74, 0xe9, 0x0a]));
    expect(((await latin.json()) as any).words[0]).toMatchObject({ word: "été", known: true });
    for (let i = 0; i < 49; i++) expect((await post(token, "wordlists", { name: `l${i}`, words: ["chat"] })).status).toBe(201);
    const over = await post(token, "wordlists", { name: "one too many", words: ["chat"] });
    expect(over.status).toBe(409);
  });
});

describe("learning sets", () => {
  it("coverage: a valid, non-redundant cover ordered by new words; filter; export; another reader gets 404", async () => {
    const token = await sessionFor("ls1");
    const job = await finishedJob("ls1", BOOK);
    const list = (await (
      await post(token, "wordlists", {
        name: "tiny",
        words: ["chat", "chien", "maison", "manger", "grand", "pomme", "rouge", "souris", "dormir", "absent"],
      })
    ).json()) as any;
    const r = await post(token, "learning-sets", { job_ids: [job], wordlist_id: list.id, min_words: 4, max_words: 8 });
    expect(r.status).toBe(201);
    const created = (await r.json()) as any;
    expect(created).toMatchObject({
      status: "running",
      mode: "coverage",
      job_ids: [job],
      wordlist_id: list.id,
      options: { min_words: 4, max_words: 8, require_verb: true },
    });
    const set = await finished(token, created.id);
    expect(set.status).toBe("completed");
    expect(set.list_words).toBe(10);
    const { sentences } = (await (await call(token, `learning-sets/${set.id}/sentences`)).json()) as any;
    // Every found word covered, each sentence within bounds with a verb, none redundant, by new words.
    const covered = new Set(sentences.flatMap((s: any) => s.list_words));
    expect(covered.size).toBe(set.found_words);
    expect(set.covered_words).toBe(set.found_words);
    expect(set.uncovered).toContain("absent");
    expect(set.uncovered).not.toContain("chat");
    for (const s of sentences) {
      expect(s.word_count).toBeGreaterThanOrEqual(4);
      expect(s.word_count).toBeLessThanOrEqual(8);
      expect(s.has_verb).toBe(true);
      expect(s.new_words.length).toBeGreaterThan(0);
      expect(s.text).toBe(BOOK[s.index]);
      expect(s.job_id).toBe(job);
    }
    for (let i = 1; i < sentences.length; i++) expect(sentences[i].new_words.length).toBeLessThanOrEqual(sentences[i - 1].new_words.length);
    expect(sentences.map((s: any) => s.rank)).toEqual(sentences.map((_: any, i: number) => i + 1));
    expect(sentences.map((s: any) => s.index)).not.toContain(5); // no verb
    expect(sentences.length).toBe(set.sentence_count);

    const csv = await (await call(token, `learning-sets/${set.id}/export?format=csv`)).text();
    // text() drops the BOM the file starts with.
    expect(csv.split("\r\n")[0]).toBe("rank,sentence,new_words,list_words,page,job_id,index,word_count,has_verb,known_ratio");
    expect(csv.trim().split("\r\n")).toHaveLength(sentences.length + 1);
    const txt = await (await call(token, `learning-sets/${set.id}/export?format=txt`)).text();
    expect(txt).toBe(sentences.map((s: any) => `${s.text}\n`).join(""));
    expect((await call(token, `learning-sets/${set.id}/export?format=xml`)).status).toBe(400);

    const filter = await finished(
      token,
      ((await (await post(token, "learning-sets", { job_ids: [job], mode: "filter", min_known_ratio: 0.5 })).json()) as any).id,
    );
    expect(filter).toMatchObject({ status: "completed", mode: "filter", wordlist_id: "default" });
    const fs = ((await (await call(token, `learning-sets/${filter.id}/sentences`)).json()) as any).sentences;
    expect(fs.length).toBeGreaterThan(0);
    for (const s of fs) expect(s.known_ratio).toBeGreaterThanOrEqual(0.5);

    const stranger = await sessionFor("ls2");
    expect((await call(stranger, `learning-sets/${set.id}`)).status).toBe(404);
    expect((await call(stranger, `learning-sets/${set.id}/sentences`)).status).toBe(404);
    expect((await post(stranger, "learning-sets", { job_ids: [job] })).status).toBe(404);
    expect((await post(stranger, "learning-sets", { job_ids: [await finishedJob("ls2", BOOK)], wordlist_id: list.id })).status).toBe(404);

    const mine = (await (await call(token, "learning-sets")).json()) as any;
    expect(mine.learning_sets.map((s: any) => s.id)).toEqual([filter.id, set.id]);
    expect((await call(token, `learning-sets/${set.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await call(token, `learning-sets/${set.id}`)).status).toBe(404);
  });

  it("runs over two books with edits included, and swaps a sentence for an alternative", async () => {
    const token = await sessionFor("ls3");
    const a = await finishedJob("ls3", ["Le chat mange la souris.", "Le chat mange une souris grise."]);
    const b = await finishedJob("ls3", ["Un chien dort ici.", "La souris regarde le chat."]);
    // An edit of book b's first sentence: the run sees the edited text.
    await call(token, `jobs/${b}/sentences/0`, { method: "PATCH", body: JSON.stringify({ text: "Un chien dort dans la maison." }) });
    const list = (await (await post(token, "wordlists", { name: "l", words: ["chat", "souris", "chien", "maison"] })).json()) as any;
    const set = await finished(
      token,
      ((await (await post(token, "learning-sets", { job_ids: [a, b], wordlist_id: list.id })).json()) as any).id,
    );
    expect(set).toMatchObject({ status: "completed", found_words: 4, covered_words: 4, uncovered: [], optimal: true });
    const { sentences } = (await (await call(token, `learning-sets/${set.id}/sentences`)).json()) as any;
    expect(sentences).toHaveLength(2);
    expect(new Set(sentences.map((s: any) => s.job_id))).toEqual(new Set([a, b]));
    expect(sentences.map((s: any) => s.text)).toContain("Un chien dort dans la maison.");
    const catRank = sentences.findIndex((s: any) => s.list_words.includes("chat") && s.job_id === a) + 1 || 1;
    const alts = (await (await call(token, `learning-sets/${set.id}/sentences/${catRank}/alternatives`)).json()) as any;
    expect(alts.rank).toBe(catRank);
    for (const alt of alts.alternatives) for (const w of alts.new_words) expect(alt.list_words).toContain(w);
    expect(alts.alternatives.length).toBeGreaterThan(0);
    const pick = alts.alternatives[0];
    const swapped = await post(token, `learning-sets/${set.id}/sentences/${catRank}/swap`, { job_id: pick.job_id, index: pick.index });
    expect(swapped.status).toBe(200);
    const after = ((await swapped.json()) as any).sentences;
    expect(after[catRank - 1]).toMatchObject({ job_id: pick.job_id, index: pick.index });
    expect(new Set(after.flatMap((s: any) => s.list_words))).toEqual(new Set(["chat", "souris", "chien", "maison"]));
    // A sentence that lacks the rank's new words cannot take its place.
    const bad = await post(token, `learning-sets/${set.id}/sentences/1/swap`, { job_id: b, index: 99 });
    expect(bad.status).toBe(409);
    expect((await call(token, `learning-sets/${set.id}/sentences/99/alternatives`)).status).toBe(404);
  });

  it("reads a job's stored analysis instead of tagging it: the same selection as the tagging path", async () => {
    const token = await sessionFor("ls5");
    const job = await finishedJob("ls5", BOOK, true);
    const older = await finishedJob("ls5", BOOK);
    expect(await env.FILES.head(analysisKey(job))).not.toBeNull();
    expect(await env.FILES.head(analysisKey(older))).toBeNull();
    // The result's shape is the same either way: the lemmas stay out of it.
    const sentencesOf = async (id: string) => ((await (await call(token, `jobs/${id}/result`)).json()) as any).sentences;
    expect(await sentencesOf(job)).toEqual(await sentencesOf(older));

    const list = (await (
      await post(token, "wordlists", {
        name: "tiny",
        words: ["chat", "chien", "maison", "manger", "grand", "pomme", "rouge", "souris", "dormir", "zut"],
      })
    ).json()) as any;
    const run = async (body: object) => {
      const set = await finished(
        token,
        ((await (await post(token, "learning-sets", { job_ids: [job], wordlist_id: list.id, ...body })).json()) as any).id,
      );
      expect(set.status).toBe("completed");
      const { id: _i, created_at: _c, completed_at: _d, links: _l, ...counts } = set;
      return { counts, sentences: ((await (await call(token, `learning-sets/${set.id}/sentences`)).json()) as any).sentences };
    };
    const modes = [{}, { mode: "filter", min_known_ratio: 0.5 }];
    const fromStored = [];
    for (const body of modes) fromStored.push(await run(body));
    expect(fromStored[0]!.sentences.length).toBeGreaterThan(1);
    expect(fromStored[1]!.sentences.length).toBeGreaterThan(0);

    // The run reads it: a stored analysis that says otherwise of a sentence is what counts.
    const doctored = new AnalysisWriter();
    for (const [i, text] of BOOK.entries())
      doctored.add(text, i === 0 ? ["zut", "zut", "zut", "zut", "zut"] : withAnalysis({ text }).lemmas);
    await env.FILES.put(analysisKey(job), JSON.stringify(doctored.done()));
    const told = await run({});
    expect(told.sentences.find((s: any) => s.index === 0)).toMatchObject({ text: BOOK[0], word_count: 5, list_words: ["zut"] });

    // Without it (a job stored before it was kept), the run tags the job: the very same selection.
    await env.FILES.delete(analysisKey(job));
    for (const [i, body] of modes.entries()) expect(await run(body)).toEqual(fromStored[i]);

    // Deleted with the job.
    await env.FILES.put(analysisKey(job), "{}");
    expect((await call(token, `jobs/${job}`, { method: "DELETE" })).status).toBe(204);
    expect(await env.FILES.head(analysisKey(job))).toBeNull();
  });

  it("an edited sentence is analysed again: the run uses its new text's lemmas", async () => {
    const token = await sessionFor("ls6");
    const job = await finishedJob("ls6", ["Le chat mange la souris.", "La souris regarde le chat.", "Le chat dort dans la maison."], true);
    await call(token, `jobs/${job}/sentences/0`, { method: "PATCH", body: JSON.stringify({ text: "Un chien dort dans la maison." }) });
    const list = (await (
      await post(token, "wordlists", { name: "l", words: ["chat", "souris", "chien", "maison", "manger", "dormir"] })
    ).json()) as any;
    const run = async () => {
      const set = await finished(
        token,
        ((await (await post(token, "learning-sets", { job_ids: [job], wordlist_id: list.id })).json()) as any).id,
      );
      return ((await (await call(token, `learning-sets/${set.id}/sentences`)).json()) as any).sentences;
    };
    const sentences = await run();
    expect(sentences.find((s: any) => s.index === 0)).toMatchObject({
      text: "Un chien dort dans la maison.",
      list_words: ["chien", "dormir", "maison"],
    });
    expect(sentences.flatMap((s: any) => s.list_words)).not.toContain("manger");
    // The same as tagging the whole job.
    await env.FILES.delete(analysisKey(job));
    expect(await run()).toEqual(sentences);
  });

  it("refuses bad requests: an unfinished job 409, bad options 400 naming the field", async () => {
    const token = await sessionFor("ls4");
    const { id: running } = await startedJob([[1, 1]], "ls4");
    const r = await post(token, "learning-sets", { job_ids: [running] });
    expect(r.status).toBe(409);
    expect(((await r.json()) as any).error).toMatchObject({ code: "job_not_finished", field: "job_ids.0" });
    const job = await finishedJob("ls4", BOOK);
    const cases: [unknown, string][] = [
      [{ job_ids: [job], min_words: 9, max_words: 8 }, "max_words"],
      [{ job_ids: [job], mode: "everything" }, "mode"],
      [{ job_ids: [] }, "job_ids"],
      [{ job_ids: [job], min_known_ratio: 2 }, "min_known_ratio"],
      [{ job_ids: [job], require_verb: "yes" }, "require_verb"],
      [{ job_ids: [job], colour: "blue" }, "colour"],
    ];
    for (const [body, field] of cases) {
      const res = await post(token, "learning-sets", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as any).error.field).toBe(field);
    }
    expect((await post(token, "learning-sets", { job_ids: [job], wordlist_id: "wl_nope" })).status).toBe(404);
    const none = await env.DB.prepare("SELECT count(*) AS n FROM learning_sets WHERE owner_id = 'ls4'").first<{ n: number }>();
    expect(none!.n).toBe(0);
  });
});

describe("deleting a job deletes all of it", () => {
  it("leaves no tracker storage, no file, no D1 row with its id; a learning set made from it says so", async () => {
    const owner = "del1";
    const token = await sessionFor(owner);
    const { id: job, t } = await startedJob([[1, 1]], owner);
    // Its tracker knows a webhook URL: finishing queues a delivery (a row in D1).
    await runInDurableObject(tracker(env, job), async (_i, state) => {
      const meta = state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'job'").one();
      const m = JSON.parse(meta.value);
      m.hooks = { user_id: owner, url: "https://hooks.test/learning", progress_every: null };
      state.storage.sql.exec("UPDATE meta SET value = ? WHERE key = 'job'", JSON.stringify(m));
    });
    await t.chunkDone(0, analysed(...BOOK));
    expect((await jobRow(job))!.status).toBe("completed");
    await recordAttempt(env, {
      job_id: job,
      chunk: 0,
      attempt: 1,
      engine: "local",
      model: null,
      pages: 1,
      started_ms: Date.now(),
      tokens: 0,
      outcome: "done",
    });
    // The answer an Idempotency-Key replays names the job.
    await env.DB.prepare(
      "INSERT INTO idempotency_keys (user_id, key, route, state, status, body, created_at, expires_at) VALUES (?, 'k1', 'POST /api/v1/jobs', 'done', 202, ?, ?, ?)",
    )
      .bind(owner, JSON.stringify({ id: job, status: "queued" }), new Date().toISOString(), new Date(Date.now() + 86_400_000).toISOString())
      .run();
    expect(
      (await call(token, `jobs/${job}/sentences/0`, { method: "PATCH", body: JSON.stringify({ text: "Le chat mange une souris." }) }))
        .status,
    ).toBe(200);
    const set = await finished(token, ((await (await post(token, "learning-sets", { job_ids: [job] })).json()) as any).id);
    expect(set).toMatchObject({ status: "completed", job_ids: [job], deleted_jobs: 0 });
    const before = ((await (await call(token, `learning-sets/${set.id}/sentences`)).json()) as any).sentences;
    expect(before.length).toBeGreaterThan(0);

    const holding = () => tablesHolding(job);
    expect(await holding()).toEqual([
      "chunk_attempts",
      "idempotency_keys",
      "jobs",
      "learning_sets",
      "sentence_edits",
      "webhook_deliveries",
    ]);

    expect((await call(token, `jobs/${job}`, { method: "DELETE" })).status).toBe(204);

    expect(await holding()).toEqual([]);
    for (const prefix of jobPrefixes(job)) expect((await env.FILES.list({ prefix })).objects).toEqual([]);
    expect(await runInDurableObject(tracker(env, job), (_i, state) => objectStorage(state))).toEqual({ keys: [], alarm: null, tables: [] });
    expect((await call(token, `jobs/${job}`)).status).toBe(404);

    // A late chunk message: the empty tracker has no job, so it is acked and recreates nothing.
    const batch = createMessageBatch<ChunkMessage>("fnt-chunks", [
      { id: "late", timestamp: new Date(), attempts: 1, body: { job_id: job, chunk: 0 } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<any>, env, ctx);
    const outcome = await getQueueResult(batch, ctx);
    expect(outcome.explicitAcks).toEqual(["late"]);
    expect(outcome.retryMessages).toEqual([]);
    expect(await t.planning()).toBe(false);
    await t.chunkDone(0, analysed(...BOOK));
    expect((await runInDurableObject(tracker(env, job), (_i, state) => objectStorage(state))).tables).toEqual([]);
    expect(await holding()).toEqual([]);

    // The learning set still answers, says a job of it was deleted, keeps its sentences.
    const after = await call(token, `learning-sets/${set.id}`);
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({ status: "completed", job_ids: [], deleted_jobs: 1 });
    const sentences = await call(token, `learning-sets/${set.id}/sentences`);
    expect(sentences.status).toBe(200);
    expect(((await sentences.json()) as any).sentences).toEqual(before);
    for (const format of ["csv", "anki"]) expect((await call(token, `learning-sets/${set.id}/export?format=${format}`)).status).toBe(200);
  });
});

describe("my defaults (/api/v1/settings)", () => {
  const put = (token: string, body: unknown) => call(token, "settings", { method: "PUT", body: JSON.stringify(body) });
  const settingsOf = async (token: string, r: Response) => {
    expect([201, 202]).toContain(r.status);
    const job = (await r.json()) as any;
    return ((await (await call(token, `jobs/${job.id}`)).json()) as any).settings;
  };

  it("round-trips: built-in until saved, then what is saved over them; bad fields 400 naming them, a stranger's list 404", async () => {
    const token = await sessionFor("df1");
    const built = (await (await call(token, "settings")).json()) as any;
    expect(built).toEqual({
      settings: {
        sentence_length_limit: 0,
        min_sentence_length: 0,
        ignore_dialogue: false,
        preserve_formatting: false,
        fix_hyphenation: true,
        gemini_model: "gemini-2.5-flash",
      },
      wordlist_id: "default",
      export_columns: ["sentence", "original", "page", "index", "word_count", "has_verb"],
      saved: {},
      updated_at: null,
    });
    const list = (await (await post(token, "wordlists", { name: "mine", words: ["chat"] })).json()) as any;
    const saved = await put(token, {
      settings: { sentence_length_limit: 25, fix_hyphenation: false },
      wordlist_id: list.id,
      export_columns: ["page", "sentence"],
    });
    expect(saved.status).toBe(200);
    const body = (await saved.json()) as any;
    expect(body).toMatchObject({
      settings: { sentence_length_limit: 25, min_sentence_length: 0, fix_hyphenation: false, ignore_dialogue: false },
      wordlist_id: list.id,
      export_columns: ["page", "sentence"],
      saved: {
        settings: { sentence_length_limit: 25, fix_hyphenation: false },
        wordlist_id: list.id,
        export_columns: ["page", "sentence"],
      },
    });
    expect(body.updated_at).toBeTruthy();
    expect(await (await call(token, "settings")).json()).toEqual(body);

    const cases: [unknown, string][] = [
      [{ settings: { sentence_length_limit: 501 } }, "settings.sentence_length_limit"],
      [{ settings: { fix_hyphenation: "maybe" } }, "settings.fix_hyphenation"],
      [{ settings: { gemini_model: "gpt-9" } }, "settings.gemini_model"],
      [{ settings: { colour: "blue" } }, "colour"],
      [{ export_columns: ["sentence", "price"] }, "export_columns.1"],
      [{ export_columns: [] }, "export_columns"],
      [{ wordlist_id: 7 }, "wordlist_id"],
    ];
    for (const [b, field] of cases) {
      const res = await put(token, b);
      expect(res.status, JSON.stringify(b)).toBe(400);
      expect(((await res.json()) as any).error).toMatchObject({ code: "invalid_field", field });
    }
    const stranger = await sessionFor("df2");
    const theirs = await put(stranger, { wordlist_id: list.id });
    expect(theirs.status).toBe(404);
    expect(((await theirs.json()) as any).error).toMatchObject({ code: "not_found", field: "wordlist_id" });
    expect(((await (await call(stranger, "settings")).json()) as any).saved).toEqual({});
    // Nothing refused was saved.
    expect(await (await call(token, "settings")).json()).toEqual(body);
    // A PUT replaces what is saved: left out, the built-in default applies again.
    expect((await (await put(token, { settings: { min_sentence_length: 3 } })).json()) as any).toMatchObject({
      settings: { sentence_length_limit: 0, min_sentence_length: 3, fix_hyphenation: true },
      wordlist_id: "default",
      saved: { settings: { min_sentence_length: 3 } },
    });
  });

  it("a new job takes the saved settings for the fields not sent; a sent field overrides", async () => {
    const token = await sessionFor("df3");
    await put(token, { settings: { sentence_length_limit: 30, ignore_dialogue: true, fix_hyphenation: false } });
    // JSON (a book in parts) and a multipart form without a file: both go through the upload's settings.
    const json = await settingsOf(token, await post(token, "jobs", { parts: 2, sentence_length_limit: 12 }));
    expect(json).toMatchObject({ sentence_length_limit: 12, ignore_dialogue: true, fix_hyphenation: false, min_sentence_length: 0 });
    const form = new FormData();
    form.set("parts", "2");
    form.set("fix_hyphenation", "true");
    const multipart = await settingsOf(token, await call(token, "jobs", { method: "POST", body: form }));
    expect(multipart).toMatchObject({ sentence_length_limit: 30, ignore_dialogue: true, fix_hyphenation: true });
    // A sent field is still checked as an upload's.
    const bad = await post(token, "jobs", { parts: 2, sentence_length_limit: 999 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.field).toBe("sentence_length_limit");
    // Another reader's jobs keep the built-in settings.
    const other = await sessionFor("df4");
    expect(await settingsOf(other, await post(other, "jobs", { parts: 2 }))).toMatchObject({
      sentence_length_limit: 0,
      ignore_dialogue: false,
      fix_hyphenation: true,
    });
  });

  it("a learning run without wordlist_id takes the saved list; one sent overrides; a list deleted since falls back to default", async () => {
    const token = await sessionFor("df5");
    const job = await finishedJob("df5", BOOK);
    const list = (await (await post(token, "wordlists", { name: "saved", words: ["chat", "maison"] })).json()) as any;
    await put(token, { wordlist_id: list.id });
    const taken = (await (await post(token, "learning-sets", { job_ids: [job] })).json()) as any;
    expect(taken).toMatchObject({ wordlist_id: list.id, wordlist_name: "saved" });
    const sent = (await (await post(token, "learning-sets", { job_ids: [job], wordlist_id: "default" })).json()) as any;
    expect(sent.wordlist_id).toBe("default");
    await finished(token, taken.id);
    await finished(token, sent.id);
    expect((await call(token, `wordlists/${list.id}`, { method: "DELETE" })).status).toBe(204);
    expect(((await (await call(token, "settings")).json()) as any).wordlist_id).toBe("default");
    const after = (await (await post(token, "learning-sets", { job_ids: [job] })).json()) as any;
    expect(after.wordlist_id).toBe("default");
    await finished(token, after.id);
  });
});
