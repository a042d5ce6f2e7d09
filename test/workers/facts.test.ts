import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { JobResultSchema } from "../../schema/api";
import { bearer, sessionFor, api } from "./http";
import { result, startedJob } from "./jobs";

// Every sentence of a result carries its word count and whether it has a verb (the French
// tagger's): in the JSON, as the CSV/TSV's last two columns, through a reader's edit.

const get = (token: string, id: string, tail = "") => api(`/api/v1/jobs/${id}/result${tail}`, { headers: bearer(token) });
const rows = async (res: Response) => (await res.text()).replace(/^\uFEFF/, "").split("\r\n");
const facts = (s: { word_count?: number; has_verb?: boolean }) => [s.word_count, s.has_verb];

describe("word_count and has_verb", () => {
  it("a running job's partial result and the final one carry them; the stored result too", async () => {
    const { id, t } = await startedJob(
      [
        [1, 1],
        [2, 2],
      ],
      "facts1",
    );
    const token = await sessionFor("facts1");
    await t.chunkDone(0, result("Le chat mange la souris.", "La grande maison blanche."));
    const running = (await (await get(token, id)).json()) as any;
    expect(running.complete).toBe(false);
    expect(running.sentences.map(facts)).toEqual([
      [5, true],
      [4, false],
    ]);

    await t.chunkDone(1, result("Il mange du pain."));
    const final = JobResultSchema.parse(await (await get(token, id)).json());
    expect(final.complete).toBe(true);
    // "du" is de + le for the tagger, one word for a reader.
    expect(final.sentences.map(facts)).toEqual([
      [5, true],
      [4, false],
      [4, true],
    ]);
    // Computed once, when the result was written.
    const stored = (await (await env.FILES.get(`jobs/${id}/result.json`))!.json()) as any;
    expect(stored.sentences.map(facts)).toEqual([
      [5, true],
      [4, false],
      [4, true],
    ]);

    const csv = await rows(await get(token, id, "?format=csv"));
    expect(csv[0]).toBe("index,sentence,page,chunk,original,word_count,has_verb");
    expect(csv.slice(1, 4)).toEqual([
      "1,Le chat mange la souris.,1,0,,5,yes",
      "2,La grande maison blanche.,1,0,,4,no",
      "3,Il mange du pain.,1,1,,4,yes",
    ]);
    const tsv = await rows(await get(token, id, "?format=tsv"));
    expect(tsv[0]).toBe("index\tsentence\tpage\tchunk\toriginal\tword_count\thas_verb");
    expect(tsv[2]).toBe("2\tLa grande maison blanche.\t1\t0\t\t4\tno");
  });

  it("an edit recomputes them: in the edit's answer, the result and the exports", async () => {
    const { id, t } = await startedJob([[1, 1]], "facts2");
    const token = await sessionFor("facts2");
    await t.chunkDone(0, result("Le chat mange la souris.", "La grande maison blanche."));
    const edit = (index: number, text: string) =>
      api(`/api/v1/jobs/${id}/sentences/${index}`, {
        method: "PATCH",
        headers: { ...bearer(token), "content-type": "application/json" },
        body: JSON.stringify({ text }),
      });

    const r1 = await edit(1, "La grande maison blanche est vide.");
    expect(r1.status).toBe(200);
    expect(await r1.json()).toMatchObject({
      index: 1,
      text: "La grande maison blanche est vide.",
      edited: true,
      word_count: 6,
      has_verb: true,
    });
    const r0 = await edit(0, "Le chat !");
    expect(await r0.json()).toMatchObject({ index: 0, edited: true, word_count: 2, has_verb: false });

    const after = JobResultSchema.parse(await (await get(token, id)).json());
    expect(after.sentences.map(facts)).toEqual([
      [2, false],
      [6, true],
    ]);
    const csv = await rows(await get(token, id, "?format=csv"));
    expect(csv.slice(1, 3)).toEqual(["1,Le chat !,1,0,,2,no", "2,La grande maison blanche est vide.,1,0,,6,yes"]);
  });

  it("the tracker keeps the chunk consumer's (no tagging again), the lemmas beside the result, not in it", async () => {
    const { id, t } = await startedJob([[1, 1]], "facts4");
    // Facts no tagger would give: the stored result shows these, so the tracker did not tag again.
    const sentence = {
      text: "Le chat mange la souris.",
      page: 1,
      paragraph: 0,
      word_count: 42,
      has_verb: false,
      lemmas: ["chat", ["de", "le"]],
    };
    await t.chunkDone(0, { sentences: [sentence], tokens: 0 });
    const stored = (await (await env.FILES.get(`jobs/${id}/result.json`))!.json()) as any;
    expect(stored.sentences).toEqual([{ index: 0, text: sentence.text, chunk: 0, page: 1, paragraph: 0, word_count: 42, has_verb: false }]);
    const analysis = (await (await env.FILES.get(`jobs/${id}/analysis.json`))!.json()) as any;
    expect(analysis).toMatchObject({ v: 1, lemmas: ["chat", "de", "le"], sentences: [expect.stringMatching(/^\w+ 0 1\+2$/)] });
  });

  it("a result stored before them gets them computed when read", async () => {
    const { id, t } = await startedJob([[1, 1]], "facts3");
    await t.chunkDone(0, result("Le chat mange la souris.", "La grande maison blanche."));
    const key = `jobs/${id}/result.json`;
    const old = (await (await env.FILES.get(key))!.json()) as any;
    for (const s of old.sentences) {
      delete s.word_count;
      delete s.has_verb;
    }
    await env.FILES.put(key, JSON.stringify(old));
    const res = JobResultSchema.parse(await (await get(await sessionFor("facts3"), id)).json());
    expect(res.sentences.map(facts)).toEqual([
      [5, true],
      [4, false],
    ]);
  });
});
