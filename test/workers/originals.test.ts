import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { JobResultSchema } from "../../schema/api";
import type { NormalizeResult } from "../../worker/pipeline/types";
import { bearer, sessionFor, api } from "./http";
import { startedJob } from "./jobs";

// A Gemini rewrite keeps the book's text beside it: in the result JSON, the CSV/TSV exports,
// and through a reader's edit.

const LONG = "Jeanne, ayant fini ses malles, s’approcha de la fenêtre, mais la pluie ne cessait pas.";
const chunk0: NormalizeResult = {
  sentences: [
    { text: "Jeanne avait fini ses malles.", page: 1, paragraph: 0, original: LONG },
    { text: "Elle s’approcha de la fenêtre, mais la pluie ne cessait pas.", page: 1, paragraph: 0, original: LONG },
    { text: "Il pleuvait.", page: 1, paragraph: 0 },
  ],
  tokens: 10,
};
const chunk1: NormalizeResult = { sentences: [{ text: "Le soir tombait.", page: 2, paragraph: 1 }], tokens: 5 };

const get = (token: string, id: string, tail = "") => api(`/api/v1/jobs/${id}/result${tail}`, { headers: bearer(token) });

describe("original and rewritten_count", () => {
  it("the running and the final result carry each sentence's original and the count", async () => {
    const { id, t } = await startedJob(
      [
        [1, 1],
        [2, 2],
      ],
      "orig1",
    );
    const token = await sessionFor("orig1");
    await t.chunkDone(0, chunk0);
    const running = (await (await get(token, id)).json()) as any;
    expect(running).toMatchObject({ complete: false, rewritten_count: 2 });
    expect(running.sentences.map((s: any) => s.original)).toEqual([LONG, LONG, undefined]);
    expect("original" in running.sentences[2]).toBe(false);

    await t.chunkDone(1, chunk1);
    const res = await get(token, id);
    const result = JobResultSchema.parse(await res.json());
    expect(result.complete).toBe(true);
    expect(result.rewritten_count).toBe(2);
    expect(result.sentences).toEqual([
      { index: 0, text: "Jeanne avait fini ses malles.", chunk: 0, page: 1, paragraph: 0, original: LONG, word_count: 5, has_verb: true },
      {
        index: 1,
        text: "Elle s’approcha de la fenêtre, mais la pluie ne cessait pas.",
        chunk: 0,
        page: 1,
        paragraph: 0,
        original: LONG,
        word_count: 12,
        has_verb: true,
      },
      { index: 2, text: "Il pleuvait.", chunk: 0, page: 1, paragraph: 0, word_count: 2, has_verb: true },
      { index: 3, text: "Le soir tombait.", chunk: 1, page: 2, paragraph: 1, word_count: 3, has_verb: true },
    ]);
    // The stored result in R2 has them too.
    const stored = (await (await env.FILES.get(`jobs/${id}/result.json`))!.json()) as any;
    expect(stored.rewritten_count).toBe(2);
    expect(stored.sentences[1].original).toBe(LONG);
  });

  it("a result without rewrites says 0", async () => {
    const { id, t } = await startedJob([[1, 1]], "orig2");
    await t.chunkDone(0, chunk1);
    const result = (await (await get(await sessionFor("orig2"), id)).json()) as any;
    expect(result.rewritten_count).toBe(0);
    expect(result.sentences[0]).not.toHaveProperty("original");
  });

  it("CSV and TSV add an original column after index, sentence, page, chunk; empty when not rewritten; then word_count, has_verb", async () => {
    const { id, t } = await startedJob(
      [
        [1, 1],
        [2, 2],
      ],
      "orig3",
    );
    const token = await sessionFor("orig3");
    await t.chunkDone(0, chunk0);
    await t.chunkDone(1, chunk1);
    const csv = (await (await get(token, id, "?format=csv")).text()).replace(/^\uFEFF/, "").split("\r\n");
    expect(csv[0]).toBe("index,sentence,page,chunk,original,word_count,has_verb");
    expect(csv[1]).toBe(`1,Jeanne avait fini ses malles.,1,0,"${LONG}",5,yes`);
    expect(csv[2]).toBe(`2,"Elle s’approcha de la fenêtre, mais la pluie ne cessait pas.",1,0,"${LONG}",12,yes`);
    expect(csv[3]).toBe("3,Il pleuvait.,1,0,,2,yes");
    expect(csv[4]).toBe("4,Le soir tombait.,2,1,,3,yes");
    const tsv = (await (await get(token, id, "?format=tsv")).text()).replace(/^\uFEFF/, "").split("\r\n");
    expect(tsv[0]).toBe("index\tsentence\tpage\tchunk\toriginal\tword_count\thas_verb");
    expect(tsv[1]).toBe(`1\tJeanne avait fini ses malles.\t1\t0\t${LONG}\t5\tyes`);
    expect(tsv[3]).toBe("3\tIl pleuvait.\t1\t0\t\t2\tyes");
    // TXT stays one sentence per line, the reader's text only.
    expect(await (await get(token, id, "?format=txt")).text()).toBe(
      chunk0.sentences
        .concat(chunk1.sentences)
        .map((s) => `${s.text}\n`)
        .join(""),
    );
  });

  it("an edit changes the text and keeps the original, in the answer, the result and the exports", async () => {
    const { id, t } = await startedJob(
      [
        [1, 1],
        [2, 2],
      ],
      "orig4",
    );
    const token = await sessionFor("orig4");
    await t.chunkDone(0, chunk0);
    await t.chunkDone(1, chunk1);
    const edited = "Jeanne, ses malles faites, alla à la fenêtre.";
    const r = await api(`/api/v1/jobs/${id}/sentences/0`, {
      method: "PATCH",
      headers: { ...bearer(token), "content-type": "application/json" },
      body: JSON.stringify({ text: edited }),
    });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      index: 0,
      text: edited,
      chunk: 0,
      page: 1,
      paragraph: 0,
      original: LONG,
      edited: true,
      word_count: 8,
      has_verb: true,
    });
    const result = (await (await get(token, id)).json()) as any;
    expect(result.sentences[0]).toEqual({
      index: 0,
      text: edited,
      chunk: 0,
      page: 1,
      paragraph: 0,
      original: LONG,
      edited: true,
      word_count: 8,
      has_verb: true,
    });
    expect(result.rewritten_count).toBe(2);
    // Editing a sentence that was not rewritten gives it no original.
    await api(`/api/v1/jobs/${id}/sentences/2`, {
      method: "PATCH",
      headers: { ...bearer(token), "content-type": "application/json" },
      body: JSON.stringify({ text: "Il pleuvait fort." }),
    });
    const after = (await (await get(token, id)).json()) as any;
    expect(after.sentences[2]).toEqual({
      index: 2,
      text: "Il pleuvait fort.",
      chunk: 0,
      page: 1,
      paragraph: 0,
      edited: true,
      word_count: 3,
      has_verb: true,
    });
    const csv = (await (await get(token, id, "?format=csv")).text()).replace(/^\uFEFF/, "").split("\r\n");
    expect(csv[1]).toBe(`1,"${edited}",1,0,"${LONG}",8,yes`);
    expect(csv[3]).toBe("3,Il pleuvait fort.,1,0,,3,yes");
  });

  it("a result stored before rewritten_count existed gets it counted", async () => {
    const { id, t } = await startedJob([[1, 1]], "orig5");
    await t.chunkDone(0, chunk0);
    const key = `jobs/${id}/result.json`;
    const old = (await (await env.FILES.get(key))!.json()) as any;
    delete old.rewritten_count;
    await env.FILES.put(key, JSON.stringify(old));
    const result = (await (await get(await sessionFor("orig5"), id)).json()) as any;
    expect(result.rewritten_count).toBe(2);
  });
});
