import { describe, expect, it } from "vitest";
import { alignOriginals, matchWords } from "../../worker/pipeline/gemini-original";

// Which text of the book each sentence of a Gemini answer came from (pure logic; the engine
// through the SDK is in test/gemini/original.test.ts).

const LONG = "Jeanne, ayant fini ses malles, s’approcha de la fenêtre, mais la pluie ne cessait pas.";
const SHORT = "Il pleuvait.";
const LAST = "L’averse avait sonné toute la nuit contre les carreaux et les toits.";
const PARAGRAPH = `${LONG} ${SHORT} ${LAST}`;

describe("alignOriginals", () => {
  it("a copy of the book has no original, and every word kept", () => {
    const r = alignOriginals(PARAGRAPH, [LONG, SHORT, LAST]);
    expect(r.originals).toEqual([undefined, undefined, undefined]);
    expect(r).toMatchObject({ kept: 31, total: 31 });
  });

  it("the same words cut elsewhere is no rewrite", () => {
    const text = "« Tu viens ? » demanda-t-il. Elle se tut.";
    expect(alignOriginals(text, ["« Tu viens ?", "» demanda-t-il.", "Elle se tut."]).originals).toEqual([undefined, undefined, undefined]);
    expect(alignOriginals(text, ["« Tu viens ? » demanda-t-il. Elle se tut."]).originals).toEqual([undefined]);
  });

  it("each piece of a rewritten sentence carries the whole book sentence; its neighbours none", () => {
    const r = alignOriginals(PARAGRAPH, [
      "Jeanne avait fini ses malles.",
      "Elle s’approcha de la fenêtre.",
      "Mais la pluie ne cessait pas.",
      SHORT,
      LAST,
    ]);
    expect(r.originals).toEqual([LONG, LONG, LONG, undefined, undefined]);
    // "ayant" became "avait", "Elle" was added: the book's words that came back, in order.
    expect(r.total).toBe(31);
    expect(r.kept).toBe(30);
  });

  it("joined sentences carry the book's text only when the join changed it", () => {
    const text = "Oui. Non. Il partit le lendemain.";
    expect(alignOriginals(text, ["Oui. Non.", "Il partit le lendemain."]).originals).toEqual([undefined, undefined]);
    expect(alignOriginals(text, ["Oui, non.", "Il partit le lendemain."]).originals).toEqual(["Oui. Non.", undefined]);
  });

  it("a rewrite that spans two book sentences carries both", () => {
    const r = alignOriginals(`${SHORT} ${LAST}`, ["Il pleuvait, et l’averse sonna toute la nuit contre les carreaux et les toits."]);
    expect(r.originals).toEqual([`${SHORT} ${LAST}`]);
  });

  it("a book sentence the answer left out is shown with the sentence before it", () => {
    const r = alignOriginals(PARAGRAPH, [LONG, LAST]);
    expect(r.originals).toEqual([`${LONG} ${SHORT}`, undefined]);
    expect(r).toMatchObject({ kept: 29, total: 31 });
    // Left out at the start: with the first sentence of the answer.
    expect(alignOriginals(PARAGRAPH, [SHORT, LAST]).originals).toEqual([`${LONG} ${SHORT}`, undefined]);
  });

  it("words the model invented are not counted as kept, however many", () => {
    const padded = alignOriginals(PARAGRAPH, [
      "Jeanne regarda par la fenêtre de sa chambre pendant un très long moment sans rien dire du tout.",
      "Le temps passait lentement et elle attendait que quelque chose arrive enfin dans sa vie.",
    ]);
    expect(padded.total).toBe(31);
    expect(padded.kept).toBeLessThan(10);
    // An answer with nothing of the book stands for the whole paragraph.
    expect(alignOriginals("Il pleuvait.", ["Bonjour."]).originals).toEqual(["Il pleuvait."]);
  });

  it("original texts get the answer's whitespace handling", () => {
    const text = "Il pleuvait\nsur la ville, et le vent soufflait.";
    const r = alignOriginals(text, ["Il pleuvait sur la ville.", "Et le vent soufflait."]);
    expect(r.originals).toEqual(["Il pleuvait sur la ville, et le vent soufflait.", "Il pleuvait sur la ville, et le vent soufflait."]);
    const kept = alignOriginals(text, ["Il pleuvait\nsur la ville.", "Et le vent soufflait."], (s) => s.trim());
    expect(kept.originals[0]).toBe(text);
  });

  it("no sentence in, none out", () => {
    expect(alignOriginals(PARAGRAPH, [])).toEqual({ originals: [], kept: 0, total: 31 });
    expect(alignOriginals("", ["Il pleuvait."]).originals).toEqual([undefined]);
  });
});

describe("matchWords", () => {
  it("is a longest common subsequence", () => {
    expect(matchWords([1, 2, 3, 4, 5], [1, 9, 3, 4, 8, 5])).toEqual([
      [0, 0],
      [2, 2],
      [3, 3],
      [4, 5],
    ]);
    expect(matchWords([], [1])).toEqual([]);
  });

  it("aligns a very long paragraph (past the table size) greedily, still finding the shared text", () => {
    // 2,500 words changed at both ends, so nothing is trimmed and the table would be 6 M cells.
    const a = Array.from({ length: 2500 }, (_, i) => (i * 7919) % 1000);
    const b = [5000, ...a.slice(1, 1200), 5001, 5002, ...a.slice(1210, 2499), 5003];
    const pairs = matchWords(a, b);
    expect(pairs.length).toBeGreaterThan(2450);
    for (const [i, j] of pairs) expect(a[i]).toBe(b[j]);
    for (let k = 1; k < pairs.length; k++) {
      expect(pairs[k]![0]).toBeGreaterThan(pairs[k - 1]![0]);
      expect(pairs[k]![1]).toBeGreaterThan(pairs[k - 1]![1]);
    }
  });
});
