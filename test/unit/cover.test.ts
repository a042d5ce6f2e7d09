import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { novelInstance, type CoverInstance } from "../../bench/cover-instances";
import { highsCover } from "../../bench/cover-highs";
import { greedyCover, minimumCover, orderByNewWords, reduce } from "../../worker/learning/cover";

type Sets = readonly (readonly number[])[];

/** Every lemma held by some set is in a chosen one; each chosen one brings ≥1 new; counts never grow. */
function expectValidOrder(sets: Sets, order: readonly number[], newWords: readonly number[][], words?: readonly number[]) {
  const coverable = new Set(sets.flat());
  const covered = new Set<number>();
  expect(new Set(order).size).toBe(order.length);
  expect(newWords.length).toBe(order.length);
  const outOfOrder: string[] = [];
  order.forEach((j, i) => {
    const fresh = sets[j]!.filter((e) => !covered.has(e));
    expect(fresh.length).toBeGreaterThan(0);
    expect(newWords[i]).toEqual(fresh);
    // no later chosen sentence would have brought more at this step (ties: fewer words, earlier)
    for (const k of order.slice(i + 1)) {
      let g = 0;
      for (const e of sets[k]!) if (!covered.has(e)) g++;
      const wk = words?.[k] ?? 0;
      const wj = words?.[j] ?? 0;
      if (!(g < fresh.length || (g === fresh.length && (wk > wj || (wk === wj && k > j))))) outOfOrder.push(`${k} before ${j}`);
    }
    if (i > 0) expect(fresh.length).toBeLessThanOrEqual(newWords[i - 1]!.length);
    for (const e of fresh) covered.add(e);
  });
  expect(outOfOrder).toEqual([]);
  expect(covered).toEqual(coverable);
}

/** The true minimum by trying every subset, smallest first. */
function bruteForce(sets: Sets): number {
  const universe = new Set(sets.flat());
  const n = sets.length;
  let best = Infinity;
  for (let mask = 0; mask < 1 << n; mask++) {
    let size = 0;
    for (let m = mask; m; m &= m - 1) size++;
    if (size >= best) continue;
    const covered = new Set<number>();
    for (let j = 0; j < n; j++) if (mask & (1 << j)) for (const e of sets[j]!) covered.add(e);
    if (covered.size === universe.size) best = size;
  }
  return best;
}

const randomSets = (maxSets: number, universe: number) =>
  fc.array(
    fc.uniqueArray(fc.integer({ min: 0, max: universe - 1 }), { maxLength: 6 }).map((s) => s.sort((a, b) => a - b)),
    {
      minLength: 1,
      maxLength: maxSets,
    },
  );

describe("orderByNewWords", () => {
  it("puts the sentence bringing most new lemmas first, ties to fewer words then earlier, and drops one that adds nothing", () => {
    const sets = [[0, 1], [2, 3, 4], [0, 1, 2], [5, 6], [1]];
    const { order, newWords } = orderByNewWords([0, 1, 2, 3, 4], sets, [5, 5, 5, 3, 1]);
    // 1 brings 3; then 3 (2 new, 3 words) before 0 (2 new: 0,1 — 5 words); then 0 adds 0,1; 2 and 4 add nothing
    expect(order).toEqual([1, 3, 0]);
    expect(newWords).toEqual([
      [2, 3, 4],
      [5, 6],
      [0, 1],
    ]);
    expect(orderByNewWords([2, 0], [[0, 1], [], [0, 1]]).order).toEqual([0]);
  });
});

describe("greedyCover", () => {
  it("covers every coverable lemma, in its own new-words order", () => {
    fc.assert(
      fc.property(randomSets(30, 25), (sets) => {
        const g = greedyCover(sets);
        const { order } = orderByNewWords(g, sets);
        expect(order).toEqual(g);
        expect(new Set(g.flatMap((j) => sets[j]!))).toEqual(new Set(sets.flat()));
      }),
      { numRuns: 100 },
    );
  });
});

describe("reduce", () => {
  it("forces the only sentence holding a lemma, and what it covers leaves the problem", () => {
    // lemma 3 only in sentence 1, which also covers 0; lemmas 1, 2 need one of 0 and 2
    const r = reduce([
      [0, 1, 2],
      [0, 3],
      [1, 2],
    ]);
    expect(r.forced).toContain(1);
    expect(r.stats.forced).toBeGreaterThanOrEqual(1);
  });

  it("drops a sentence whose lemmas are a subset of another's, and keeps the shorter of equal ones", () => {
    const r = reduce(
      [
        [0, 1],
        [0, 1, 2],
        [2, 3],
        [3, 4],
        [4, 0],
      ],
      [9, 9, 9, 9, 9],
    );
    expect(r.stats.dominatedSets).toBeGreaterThanOrEqual(1);
    const kept = new Set([...r.forced, ...r.components.flatMap((c) => [...c.id])]);
    expect(kept.has(0)).toBe(false);
    const equal = reduce(
      [
        [0, 1],
        [0, 1],
        [1, 2],
        [2, 0],
      ],
      [7, 4, 5, 5],
    );
    const keptEqual = new Set([...equal.forced, ...equal.components.flatMap((c) => [...c.id])]);
    expect(keptEqual.has(1)).toBe(true);
    expect(keptEqual.has(0)).toBe(false);
  });

  it("drops a lemma whose every sentence holds another lemma", () => {
    // every sentence with lemma 0 also holds 9: covering 0 covers 9, so 9 is dominated
    const sets = [
      [0, 9],
      [0, 1, 9],
      [1, 2],
      [2, 3],
      [3, 0, 9],
      [1, 3],
    ];
    const r = reduce(sets);
    expect(r.stats.dominatedElements).toBeGreaterThanOrEqual(1);
    // the answer is still a cover of 9
    const res = minimumCover(sets);
    expect(res.order.some((j) => sets[j]!.includes(9))).toBe(true);
  });

  it("leaves nothing to search when every lemma is forced", () => {
    const r = reduce([[0], [1], [2, 3]]);
    expect([...r.forced].sort()).toEqual([0, 1, 2]);
    expect(r.components).toEqual([]);
  });
});

describe("minimumCover", () => {
  it("finds the brute-force minimum on small random instances, proven, in a valid order", () => {
    fc.assert(
      fc.property(randomSets(13, 14), fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 13, maxLength: 13 }), (sets, words) => {
        const res = minimumCover(sets, { words });
        expectValidOrder(sets, res.order, res.newWords, words);
        expect(res.order.length).toBe(sets.flat().length === 0 ? 0 : bruteForce(sets));
        expect(res.optimal).toBe(true);
        expect(res.lowerBound).toBe(res.order.length);
      }),
      { numRuns: 300 },
    );
  });

  it("is optimal on harder random instances without forced sentences (cross-checked by brute force)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), (seed) => {
        let x = seed;
        const rand = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
        const sets = Array.from({ length: 16 }, () =>
          [...new Set(Array.from({ length: 4 }, () => Math.floor(rand() * 18)))].sort((a, b) => a - b),
        );
        const res = minimumCover(sets);
        expectValidOrder(sets, res.order, res.newWords);
        expect(res.order.length).toBe(bruteForce(sets));
        expect(res.optimal).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it("is deterministic, and with no effort left still returns a valid cover, saying whether it is proven", () => {
    let x = 7;
    const rand = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
    const sets = Array.from({ length: 400 }, () =>
      [...new Set(Array.from({ length: 5 }, () => Math.floor(rand() * 120)))].sort((a, b) => a - b),
    );
    const a = minimumCover(sets, { timeLimitMs: 0 });
    expectValidOrder(sets, a.order, a.newWords);
    expect(a.lowerBound).toBeLessThanOrEqual(a.order.length);
    if (!a.optimal) expect(a.lowerBound).toBeLessThan(a.order.length);
    expect(minimumCover(sets, { timeLimitMs: 0 }).order).toEqual(a.order);
    const full = minimumCover(sets, { timeLimitMs: 200 });
    expectValidOrder(sets, full.order, full.newWords);
    expect(full.order.length).toBeLessThanOrEqual(a.order.length);
    expect(full.lowerBound).toBeGreaterThanOrEqual(a.lowerBound);
    expect(minimumCover(sets, { timeLimitMs: 200 })).toMatchObject({ order: full.order, optimal: full.optimal });
  });

  it("never chooses an empty sentence, and covers nothing when nothing is coverable", () => {
    expect(minimumCover([[], []]).order).toEqual([]);
    const res = minimumCover([[], [0], [], [0, 1]]);
    expect(res.order).toEqual([3]);
    expect(res.optimal).toBe(true);
  });
});

describe("minimumCover on a novel (Verne, sentences of 4–8 words with a verb, 2,000-lemma list)", () => {
  let inst: CoverInstance;
  // Cutting and tagging the novel takes a few seconds, more on a loaded machine.
  beforeAll(() => {
    inst = novelInstance();
  }, 60_000);

  it("is a novel-size instance", () => {
    expect(inst.sets.length).toBeGreaterThan(3000);
    expect(new Set(inst.sets.flat()).size).toBeGreaterThan(800);
  });

  it("finishes proven optimal, in a valid order, no larger than HiGHS's optimum and smaller than the greedy", async () => {
    const res = minimumCover(inst.sets, { words: inst.words });
    expectValidOrder(inst.sets, res.order, res.newWords, inst.words);
    expect(res.optimal).toBe(true);
    expect(res.lowerBound).toBe(res.order.length);
    const exact = await highsCover(inst.sets);
    expect(exact.status).toBe("Optimal");
    expect(res.order.length).toBe(Math.round(exact.objective));
    expect(res.order.length).toBeLessThanOrEqual(greedyCover(inst.sets, inst.words).length);
  }, 30_000);
});
