/**
 * Learning sets, the exact search (./cover.ts, method step 2): each component's root bound,
 * reduced-cost fixing and the whole method again on what is left, else depth-first branch and
 * bound; the heuristics and the bound it calls are in ./cover-primal.ts and ./cover-bound.ts.
 */
import { lagrangian } from "./cover-bound";
import type { Budget, Core, Search } from "./cover-core";
import { primal } from "./cover-primal";
import { reduce } from "./cover-reduce";

/**
 * Exact minimum cover of one component by depth-first branch and bound.
 * Returns local set ids of the best cover found, and whether it is proven minimal.
 */
function solveCore(
  core: Core,
  budget: Budget,
  words: readonly number[] | undefined,
  mode: "root" | "improve",
  start?: CoreResult,
  cap = Infinity,
): CoreResult {
  const rootOnly = mode === "root";
  const { nS, nE, elemStart, elemSets, setStart, setElems } = core;
  const wordsOf = (j: number) => words?.[core.id[j]!] ?? 0;
  const s: Search = {
    core,
    budget,
    tie: (a, b) => {
      const wa = wordsOf(a);
      const wb = wordsOf(b);
      return wa !== wb ? wa < wb : core.id[a]! < core.id[b]!;
    },
    cov: new Int32Array(nE),
    state: new Uint8Array(nS),
    chosen: [],
    best: [],
    UB: Infinity,
    r: new Float64Array(nS),
  };
  const { cov, state, chosen, r } = s;
  const heuristics = primal(s);
  const { heuristic } = heuristics;
  const lagrange = lagrangian(s, heuristics);

  const choose = (j: number) => {
    state[j] = 1;
    chosen.push(j);
    for (let k = setStart[j]!; k < setStart[j + 1]!; k++) cov[setElems[k]!]!++;
  };
  const unchoose = (j: number) => {
    state[j] = 0;
    chosen.pop();
    for (let k = setStart[j]!; k < setStart[j + 1]!; k++) cov[setElems[k]!]!--;
  };

  // initial multipliers: u_e = min over its sets of 1/|S|
  const u0 = new Float64Array(nE);
  for (let e = 0; e < nE; e++) {
    let m = Infinity;
    for (let k = elemStart[e]!; k < elemStart[e + 1]!; k++) {
      const j = elemSets[k]!;
      m = Math.min(m, 1 / (setStart[j + 1]! - setStart[j]!));
    }
    u0[e] = m;
  }
  heuristic(null);
  if (start && start.cover.length < s.UB) {
    s.UB = start.cover.length;
    s.best = start.cover;
  }
  // only covers of at most `cap` sets matter: search as if one of cap + 1 were known
  s.UB = Math.min(s.UB, cap + 1);
  const startUB = s.UB;
  let rootBound = 0;
  let rootL = -Infinity;
  let rootR: Float64Array | undefined;
  let complete = true;

  function node(u: Float64Array, depth: number): void {
    budget.nodes++;
    if (budget.left < 0 || s.UB < startUB) {
      complete = false;
      return;
    }
    const base = chosen.length;
    // feasibility and the element to branch on: fewest free sets
    let branchE = -1;
    let branchN = Infinity;
    for (let e = 0; e < nE; e++) {
      if (cov[e] !== 0) continue;
      let n = 0;
      for (let k = elemStart[e]!; k < elemStart[e + 1]!; k++) if (state[elemSets[k]!] === 0) n++;
      if (n < branchN) {
        branchN = n;
        branchE = e;
      }
    }
    budget.left += 0;
    if (branchE < 0) {
      if (base < s.UB) {
        s.UB = base;
        s.best = [...chosen];
      }
      return;
    }
    if (branchN === 0) return;
    const resUB = s.UB - base; // a better cover needs at most resUB - 1 more sets
    if (resUB <= 1) return;
    const L = lagrange(u, depth === 0 ? 600 : 60, resUB);
    const bound = Math.ceil(L - 1e-6);
    if (depth === 0) {
      rootBound = base + bound;
      rootL = L;
      rootR = r.slice();
    }
    if (bound >= s.UB - base) return;
    if (rootOnly) {
      complete = false;
      return;
    }
    // reduced-cost fixing (undone on return)
    const fixedOut: number[] = [];
    const fixedIn: number[] = [];
    const limit = s.UB - base - 1 + 1e-6;
    for (let j = 0; j < nS; j++) {
      if (state[j] !== 0) continue;
      if (r[j]! >= 0 && L + r[j]! > limit) {
        state[j] = 2;
        fixedOut.push(j);
      }
    }
    for (let j = 0; j < nS; j++) {
      if (state[j] !== 0 || r[j]! >= 0) continue;
      if (L - r[j]! > limit) fixedIn.push(j);
    }
    for (const j of fixedIn) choose(j);
    // recompute the branching element after fixing
    branchE = -1;
    branchN = Infinity;
    for (let e = 0; e < nE; e++) {
      if (cov[e] !== 0) continue;
      let n = 0;
      for (let k = elemStart[e]!; k < elemStart[e + 1]!; k++) if (state[elemSets[k]!] === 0) n++;
      if (n < branchN || (n === branchN && u[e]! > u[branchE]!)) {
        branchN = n;
        branchE = e;
      }
    }
    if (branchE < 0) {
      if (chosen.length < s.UB) {
        s.UB = chosen.length;
        s.best = [...chosen];
      }
    } else if (branchN > 0 && (fixedIn.length === 0 || chosen.length < s.UB)) {
      const cands: number[] = [];
      for (let k = elemStart[branchE]!; k < elemStart[branchE + 1]!; k++) {
        const j = elemSets[k]!;
        if (state[j] === 0) cands.push(j);
      }
      const rc = cands.map((j) => r[j]!);
      const idx = cands.map((_, i) => i).sort((a, b) => rc[a]! - rc[b]! || cands[a]! - cands[b]!);
      const excluded: number[] = [];
      for (const i of idx) {
        const j = cands[i]!;
        if (state[j] !== 0) continue;
        choose(j);
        node(Float64Array.from(u), depth + 1);
        unchoose(j);
        if (budget.left < 0 || s.UB < startUB) {
          complete = false;
          break;
        }
        state[j] = 2;
        excluded.push(j);
        if (s.UB - base <= 1) break;
      }
      for (const j of excluded) state[j] = 0;
    }
    for (let i = fixedIn.length - 1; i >= 0; i--) unchoose(fixedIn[i]!);
    for (const j of fixedOut) state[j] = 0;
  }

  node(u0, 0);
  const optimal = complete;
  let keep: number[] | undefined;
  if (!optimal && rootR) {
    // the sets that a cover of at most UB - 1 may hold (reduced-cost fixing at the root)
    keep = [];
    for (let j = 0; j < nS; j++) if (rootR[j]! < 0 || rootL + rootR[j]! <= s.UB - 1 + 1e-6) keep.push(j);
  }
  return { cover: s.best, optimal, lowerBound: optimal ? s.UB : Math.min(rootBound, s.UB), keep };
}

interface CoreResult {
  /** local set ids of the best cover found */
  cover: number[];
  optimal: boolean;
  lowerBound: number;
  /** root only, not proven: the local set ids left after reduced-cost fixing against the best cover */
  keep?: number[];
}

/**
 * One component: its root bound, then, while that fixes sets out, the same whole method (reductions,
 * components, root) on the sets a better cover may hold; branch and bound when nothing more is fixed.
 */
function solveComponent(core: Core, budget: Budget, words: readonly number[] | undefined, depth: number, cap: number): CoreResult {
  let root = solveCore(core, budget, words, "root", undefined, cap);
  for (;;) {
    if (root.optimal || !root.keep || budget.left < 0) return root;
    const keep = root.keep;
    const toBeat = Math.min(root.cover.length, cap + 1);
    if (keep.length < core.nS && depth < 16) {
      const seen = new Uint8Array(core.nE);
      const subSets = keep.map((j) => {
        const s = Array.from(core.setElems.subarray(core.setStart[j]!, core.setStart[j + 1]!));
        for (const e of s) seen[e] = 1;
        return s;
      });
      // a lemma no kept set holds: no cover smaller than `toBeat` exists
      if (seen.includes(0)) return { cover: root.cover, optimal: true, lowerBound: toBeat };
      const subWords = words ? keep.map((j) => words[core.id[j]!]!) : undefined;
      const sub = exactCover(subSets, subWords, budget, depth + 1, toBeat - 1);
      const cover = sub.cover.length < root.cover.length ? sub.cover.map((i) => keep[i]!) : root.cover;
      if (sub.optimal) return { cover, optimal: true, lowerBound: Math.min(cover.length, toBeat) };
      return { cover, optimal: false, lowerBound: Math.max(root.lowerBound, Math.min(toBeat, sub.lowerBound)) };
    }
    // nothing fixed: branch and bound until a better cover turns up (or the search ends),
    // then a new root against it, which may fix sets out
    const res = solveCore(core, budget, words, "improve", root, cap);
    const lowerBound = Math.max(res.lowerBound, root.lowerBound);
    if (res.optimal) return res;
    if (res.cover.length >= toBeat || budget.left < 0) return { ...res, lowerBound: Math.min(lowerBound, res.cover.length) };
    root = solveCore(core, budget, words, "root", { ...res, lowerBound }, cap);
  }
}

/**
 * Reductions, then each component solved: indices into `sets` of the best cover found. With a
 * `cutoff`, `optimal` means: optimal, or no cover of at most `cutoff` sets exists.
 */
export function exactCover(
  sets: readonly (readonly number[])[],
  words: readonly number[] | undefined,
  budget: Budget,
  depth: number,
  cutoff = Infinity,
): { cover: number[]; optimal: boolean; lowerBound: number } {
  const { forced, components } = reduce(sets, words);
  const cover = [...forced];
  let optimal = true;
  let lowerBound = forced.length;
  components.forEach((core, i) => {
    // what is left for this component once the others take at least their bound (≥ 1 each)
    const cap = cutoff - lowerBound - (components.length - 1 - i);
    const res = solveComponent(core, budget, words, depth, cap);
    for (const j of res.cover) cover.push(core.id[j]!);
    optimal &&= res.optimal;
    lowerBound += res.lowerBound;
  });
  return { cover, optimal, lowerBound };
}
