import { describe, expect, it } from "vitest";
import { failedPages, mergeResult, RESULT_PART_CHARS, splitForRows, type DoneChunk } from "../../worker/jobs/tracker/result";

const chunk = (n: number, texts: string[], extra: Partial<DoneChunk> = {}): DoneChunk => ({
  n,
  first_page: n * 2 + 1,
  last_page: n * 2 + 2,
  flags: null,
  json: JSON.stringify(texts.map((text, i) => ({ text, page: n * 2 + 1, paragraph: i }))),
  ...extra,
});

describe("tracker result: merge", () => {
  it("numbers the sentences across chunks in the order given, naming each one's chunk", () => {
    const r = mergeResult({ job_id: "j", status: "processing", total: 4 }, [chunk(0, ["Un.", "Deux."]), chunk(2, ["Trois."])], [5, 6]);
    expect(r.sentences.map((s) => [s.index, s.text, s.chunk])).toEqual([
      [0, "Un.", 0],
      [1, "Deux.", 0],
      [2, "Trois.", 2],
    ]);
    expect(r.chunks_included).toEqual([0, 2]);
    expect(r.failed_pages).toEqual([5, 6]);
    expect(r.complete).toBe(false);
    expect(r.total_chunks).toBe(4);
  });

  it("is complete once the job ended with a result; keeps originals, facts and flags", () => {
    const rewritten = JSON.stringify([
      { text: "Il est là.", original: "Il est la.", page: 1, paragraph: 0, word_count: 3, has_verb: true },
      { text: "Sans fait.", page: 1, paragraph: 1, word_count: 2 },
    ]);
    const flags = [{ kind: "short" }];
    const r = mergeResult(
      { job_id: "j", status: "partial", total: 1 },
      [chunk(0, [], { json: rewritten, flags: JSON.stringify(flags) })],
      [],
    );
    expect(r.complete).toBe(true);
    expect(r.rewritten_count).toBe(1);
    expect(r.sentences[0]).toMatchObject({ original: "Il est la.", word_count: 3, has_verb: true });
    // Facts only when both are there.
    expect(r.sentences[1]).not.toHaveProperty("word_count");
    expect(r.sentences[1]).not.toHaveProperty("original");
    expect(r.flagged).toEqual([{ chunk: 0, first_page: 1, last_page: 2, flags }]);
  });

  it("hands each sentence's lemmas to the analysis, in order", () => {
    const seen: [string, unknown][] = [];
    const json = JSON.stringify([{ text: "Le chat.", page: 1, paragraph: 0, lemmas: ["le", "chat"] }]);
    mergeResult({ job_id: "j", status: "completed", total: 2 }, [chunk(0, ["Un."]), chunk(1, [], { json })], [], {
      add: (text, lemmas) => seen.push([text, lemmas]),
    });
    expect(seen).toEqual([
      ["Un.", undefined],
      ["Le chat.", ["le", "chat"]],
    ]);
  });
});

describe("tracker result: failed pages", () => {
  it("lists every page of the ranges once, sorted", () => {
    expect(failedPages([])).toEqual([]);
    expect(
      failedPages([
        { first_page: 7, last_page: 8 },
        { first_page: 2, last_page: 4 },
        { first_page: 4, last_page: 5 },
      ]),
    ).toEqual([2, 3, 4, 5, 7, 8]);
    expect(failedPages([{ first_page: 3, last_page: 3 }])).toEqual([3]);
  });
});

describe("tracker result: splitting for rows", () => {
  it("keeps a short text whole", () => {
    expect(splitForRows("abc")).toEqual(["abc"]);
    expect(splitForRows("x".repeat(RESULT_PART_CHARS))).toHaveLength(1);
  });

  it("cuts a long text into parts of at most the size that join back to it", () => {
    const text = "abcdefghij".repeat(7);
    const parts = splitForRows(text, 16);
    expect(parts.join("")).toBe(text);
    expect(parts.every((p) => p.length <= 16)).toBe(true);
    expect(parts).toHaveLength(Math.ceil(text.length / 16));
  });

  it("never cuts a surrogate pair in two", () => {
    const text = `${"a".repeat(3)}😀${"b".repeat(3)}😀😀`;
    for (const size of [2, 3, 4, 5]) {
      const parts = splitForRows(text, size);
      expect(parts.join("")).toBe(text);
      for (const p of parts) {
        const last = p.charCodeAt(p.length - 1);
        expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
        const first = p.charCodeAt(0);
        expect(first >= 0xdc00 && first <= 0xdfff).toBe(false);
      }
    }
  });
});
