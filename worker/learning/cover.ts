/**
 * Learning sets: the fewest sentences that together contain every lemma of a word list
 * (minimum set cover, unit cost), ordered so each sentence brings the most new lemmas first.
 *
 * Solver choice: written here in TypeScript, no dependency. HiGHS (npm `highs`, MIT licence, the
 * C++ solver compiled to WebAssembly) is the exact reference of the benchmark and of a unit test
 * (a devDependency only). It is not the solver in the Worker: its wasm is 3.5 MB (1.21 MB gzip,
 * more than the whole API Worker's 1.17 MB), it is instantiated asynchronously while this function
 * is synchronous and pure, and each solve goes through an LP text model of the whole instance. On
 * the bench's instances (docs/bench.md, "Learning sets") this solver proves the novels' optimum
 * many times faster than HiGHS, and on ten books comes within 0.2% of HiGHS's optimum in its
 * default second, where HiGHS takes several (HiGHS proves optimality there; this solver may not).
 * `javascript-lp-solver` (Unlicense) was considered, not measured: a plain JS simplex with a
 * simple branch and bound, made for small models, with nothing this structure needs.
 *
 * The method, for the structure of text instances (many lemmas in a single short sentence):
 *  1. reductions, repeated until nothing changes: a lemma in a single candidate forces it; a
 *     candidate whose (still uncovered) lemmas are a subset of another's is dominated (equal ones:
 *     the shorter, then the earlier, stays); a lemma every candidate of which also holds another
 *     lemma makes that other lemma redundant. A novel is usually solved here, all sentences forced;
 *  2. the remaining core is split into independent components. Each gets a root Lagrangian bound
 *     (subgradient), with upper bounds from a multiplier-weighted greedy and from rounding the
 *     averaged Lagrangian solutions (an approximate LP solution), each polished by an add-one,
 *     drop-two local search. Reduced-cost fixing against the best cover then removes the sentences
 *     no better cover can hold, and the whole method starts again on what is left (reductions,
 *     components, root). When nothing is fixed, depth-first branch and bound (Lagrangian bound at
 *     every node, warm-started; reduced-cost fixing; branching on the lemma with the fewest
 *     candidates, cheapest reduced cost first) runs until a better cover appears, and the root is
 *     solved again against it;
 *  3. a pass for the secondary objective (fewer words): a chosen sentence is swapped for a shorter
 *     one that covers what only it covered, and any sentence left redundant is dropped.
 *
 * The effort cap is counted in work units (incidence visits), not read from a clock: a Worker's
 * clock does not advance during synchronous code, and the result must be the same on every run.
 * Past the cap the best cover found is returned with `optimal: false` and the best proven bound.
 */

import type { Budget } from "./cover-core";
import { orderByNewWords } from "./cover-greedy";
import { exactCover } from "./cover-search";

export { greedyCover, orderByNewWords } from "./cover-greedy";
export { type ReduceStats, reduce } from "./cover-reduce";

export interface CoverResult {
  /** Indices into `sets`, in the greedy new-words order (see `orderByNewWords`). */
  order: number[];
  /** Per position in `order`: the lemma ids that sentence brings first. */
  newWords: number[][];
  /** Proven optimal (the count; the word total is only improved, never proven minimal). */
  optimal: boolean;
  /** Best proven lower bound on the number of sentences of a cover. */
  lowerBound: number;
  /** Branch-and-bound nodes explored. */
  nodes?: number;
  /** Wall-clock milliseconds (where the clock advances: not inside a Worker's synchronous code). */
  ms?: number;
}

export interface CoverOptions {
  /** Word count per sentence: tie-breaks (fewer first) and the secondary objective. */
  words?: readonly number[];
  /**
   * Effort cap, in milliseconds of this solver's CPU time on the machine it was calibrated on
   * (default 1,000; counted in work units, so the same on every machine and in workerd).
   */
  timeLimitMs?: number;
}

/**
 * Work units (incidence visits) per millisecond of `timeLimitMs`: measured as CPU time on Node 24 /
 * AMD EPYC (a 1,000 ms cap took ~1.0 s of CPU, 2,000 ms ~2.1 s, on a 3,539 × 566 core).
 */
const WORK_PER_MS = 40_000;

const now = () => (typeof performance !== "undefined" ? performance.now() : Date.now());

/**
 * Swaps for fewer words: a chosen sentence gives way to a shorter one covering every lemma only
 * it covered; a sentence left redundant is dropped. The count never grows.
 */
function fewerWords(chosen: number[], sets: readonly (readonly number[])[], words?: readonly number[]): number[] {
  let maxId = -1;
  for (const s of sets) for (const e of s) if (e > maxId) maxId = e;
  const count = new Int32Array(maxId + 1); // chosen sets holding each element
  const inCover = new Uint8Array(sets.length);
  const w = (j: number) => words?.[j] ?? 0;
  const add = (j: number) => {
    inCover[j] = 1;
    for (const e of sets[j]!) count[e]!++;
  };
  const remove = (j: number) => {
    inCover[j] = 0;
    for (const e of sets[j]!) count[e]!--;
  };
  const redundant = (j: number) => sets[j]!.every((e) => count[e]! > 1);
  for (const j of chosen) add(j);
  const current = () => {
    const out: number[] = [];
    for (let j = 0; j < sets.length; j++) if (inCover[j]) out.push(j);
    return out;
  };
  // drop redundant ones, longest first
  const longestFirst = (a: number, b: number) => w(b) - w(a) || b - a;
  for (const j of current().sort(longestFirst)) if (redundant(j)) remove(j);
  if (!words) return current();
  // element → sentences holding it (CSR), for the swap candidates
  const start = new Int32Array(maxId + 2);
  for (const s of sets) for (const e of s) start[e + 1]!++;
  for (let e = 0; e <= maxId; e++) start[e + 1]! += start[e]!;
  const holders = new Int32Array(start[maxId + 1]!);
  const fill = start.slice(0, maxId + 1);
  sets.forEach((s, j) => {
    for (const e of s) holders[fill[e]!++] = j;
  });
  const mark = new Int32Array(maxId + 1).fill(-1);
  for (let pass = 0; pass < 3; pass++) {
    let improved = false;
    for (const j of current().sort(longestFirst)) {
      if (!inCover[j]) continue;
      const own = sets[j]!.filter((e) => count[e] === 1);
      if (own.length === 0) {
        remove(j);
        improved = true;
        continue;
      }
      let rare = own[0]!;
      for (const e of own) if (start[e + 1]! - start[e]! < start[rare + 1]! - start[rare]!) rare = e;
      let pick = -1;
      for (let p = start[rare]!; p < start[rare + 1]!; p++) {
        const t = holders[p]!;
        if (inCover[t] || w(t) >= w(j) || (pick >= 0 && (w(t) > w(pick) || (w(t) === w(pick) && t > pick)))) continue;
        for (const e of sets[t]!) mark[e] = t;
        if (own.every((e) => mark[e] === t)) pick = t;
      }
      if (pick >= 0) {
        remove(j);
        add(pick);
        for (const k of current()) if (k !== pick && redundant(k)) remove(k);
        improved = true;
      }
    }
    if (!improved) break;
  }
  return current();
}

/**
 * The fewest sentences covering every lemma that some sentence holds, in the new-words order.
 * Deterministic: the same input gives the same answer, whatever the machine's speed.
 */
export function minimumCover(sets: readonly (readonly number[])[], opts: CoverOptions = {}): CoverResult {
  const t0 = now();
  const words = opts.words;
  const budget: Budget = { left: (opts.timeLimitMs ?? 1000) * WORK_PER_MS, nodes: 0 };
  const { cover: chosen, optimal, lowerBound: bound } = exactCover(sets, words, budget, 0);
  let lowerBound = bound;
  const improved = fewerWords(chosen, sets, words);
  const { order, newWords } = orderByNewWords(improved, sets, words);
  if (optimal) lowerBound = order.length;
  return { order, newWords, optimal, lowerBound, nodes: budget.nodes, ms: now() - t0 };
}
