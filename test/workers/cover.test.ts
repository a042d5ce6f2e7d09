import { describe, expect, it } from "vitest";
import { greedyCover, minimumCover } from "../../worker/learning/cover";

// The learning-set solver inside workerd, where the clock stands still during synchronous code:
// its effort cap counts work, so it still ends, and gives the same answer as in Node.

/** Sentences of 3–7 lemmas drawn from a Zipf law over `lemmas` ids, as in a text (seeded). */
function zipfSets(sentences: number, lemmas: number, seed: number): number[][] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const cdf: number[] = [];
  let s = 0;
  for (let i = 1; i <= lemmas; i++) cdf.push((s += 1 / i));
  const pick = () => {
    const x = rand() * s;
    let lo = 0;
    let hi = lemmas - 1;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (cdf[m]! < x) lo = m + 1;
      else hi = m;
    }
    return lo;
  };
  return Array.from({ length: sentences }, () =>
    [...new Set(Array.from({ length: 3 + Math.floor(rand() * 5) }, pick))].sort((x, y) => x - y),
  );
}

const coveredBy = (sets: number[][], order: number[]) => new Set(order.flatMap((j) => sets[j]!));

describe("minimumCover in workerd", () => {
  it("solves a text-like instance to proven optimality, below the greedy", () => {
    const sets = zipfSets(2000, 400, 42);
    const res = minimumCover(sets);
    expect(coveredBy(sets, res.order)).toEqual(new Set(sets.flat()));
    expect(res.optimal).toBe(true);
    expect(res.lowerBound).toBe(res.order.length);
    expect(res.order.length).toBeLessThan(greedyCover(sets).length);
  });

  it("stops at its work cap with a valid cover although the clock does not move", () => {
    const sets = zipfSets(4000, 800, 42);
    const res = minimumCover(sets, { timeLimitMs: 50 });
    expect(coveredBy(sets, res.order)).toEqual(new Set(sets.flat()));
    expect(res.lowerBound).toBeLessThanOrEqual(res.order.length);
    expect(minimumCover(sets, { timeLimitMs: 50 }).order).toEqual(res.order);
  });
});
