/**
 * Learning sets, the upper bounds (./cover.ts, method step 2): covers made by a multiplier-weighted
 * greedy and by rounding the averaged Lagrangian solutions, each polished by an add-one, drop-two
 * local search, and kept in the search's best cover when they beat it.
 */
import type { Search } from "./cover-core";
import { GainHeap } from "./cover-greedy";

export interface Primal {
  /** Greedy on the residual, weighted by multipliers `u` (none: by count). */
  heuristic(u: Float64Array | null): void;
  /** Rounding of an approximate LP solution `x`. */
  rounding(x: Float64Array): void;
}

/** The heuristics of one component's search, with their own work arrays. */
export function primal(s: Search): Primal {
  const { nS, nE, setStart, setElems } = s.core;
  const { cov, state, chosen, budget, tie } = s;

  // ---- primal heuristic: greedy on the residual, weighted by multipliers, then redundancy removal
  const hGain = new Float64Array(nS);
  const hCov = new Int32Array(nE);
  function heuristic(u: Float64Array | null): void {
    hCov.set(cov);
    const pick: number[] = [...chosen];
    const heap = new GainHeap(hGain, tie);
    const value = (j: number) => {
      let g = 0;
      for (let k = setStart[j]!; k < setStart[j + 1]!; k++) {
        const e = setElems[k]!;
        if (hCov[e] === 0) g += 1 + (u ? u[e]! * 4 : 0);
      }
      return g;
    };
    for (let j = 0; j < nS; j++) {
      if (state[j] !== 0) continue;
      hGain[j] = value(j);
      if (hGain[j]! > 0) heap.push(j);
    }
    budget.left -= setElems.length;
    while (heap.size > 0) {
      const j = heap.pop();
      const g = value(j);
      budget.left -= setStart[j + 1]! - setStart[j]!;
      if (g <= 0) continue;
      if (Math.abs(g - hGain[j]!) > 1e-12) {
        hGain[j] = g;
        heap.push(j);
        continue;
      }
      pick.push(j);
      for (let k = setStart[j]!; k < setStart[j + 1]!; k++) hCov[setElems[k]!]!++;
    }
    for (let e = 0; e < nE; e++) if (hCov[e] === 0) return; // infeasible residual
    keepCover(pick);
  }

  // ---- rounding of an approximate LP solution (averaged Lagrangian solutions): take sets by
  // decreasing weight while they add something, drop the redundant ones lightest first
  function rounding(x: Float64Array): void {
    hCov.set(cov);
    const free: number[] = [];
    for (let j = 0; j < nS; j++) if (state[j] === 0) free.push(j);
    free.sort((a, b) => x[b]! - x[a]! || s.r[a]! - s.r[b]! || (tie(a, b) ? -1 : 1));
    const pick: number[] = [...chosen];
    let left = 0;
    for (let e = 0; e < nE; e++) if (hCov[e] === 0) left++;
    for (const j of free) {
      if (left === 0) break;
      let adds = false;
      for (let k = setStart[j]!; k < setStart[j + 1]!; k++) if (hCov[setElems[k]!] === 0) adds = true;
      if (!adds) continue;
      pick.push(j);
      for (let k = setStart[j]!; k < setStart[j + 1]!; k++) if (hCov[setElems[k]!]!++ === 0) left--;
    }
    budget.left -= setElems.length;
    if (left > 0) return;
    keepCover(pick);
  }

  // ---- a cover made by a heuristic (hCov counting its sets over each element): drop its
  // redundant sets, the least useful first (the ones picked last), improve it by local search,
  // and keep it when it beats the best so far
  function keepCover(pick: number[]): void {
    for (let i = pick.length - 1; i >= 0; i--) {
      const j = pick[i]!;
      let needed = false;
      for (let k = setStart[j]!; k < setStart[j + 1]!; k++) if (hCov[setElems[k]!] === 1) needed = true;
      if (!needed) {
        for (let k = setStart[j]!; k < setStart[j + 1]!; k++) hCov[setElems[k]!]!--;
        pick.splice(i, 1);
      }
    }
    const improved = localSearch(pick);
    if (improved.length < s.UB) {
      s.UB = improved.length;
      s.best = improved;
    }
  }

  // ---- local search on a cover of the whole component: add one set, drop two or more
  const lsCnt = new Int32Array(nE);
  const lsOwner = new Float64Array(nE); // sum of the ids of the sets covering e: the owner when lsCnt is 1
  const lsOwn = new Int32Array(nS);
  const lsTally = new Int32Array(nS);
  const lsStamp = new Int32Array(nS);
  const inPick = new Uint8Array(nS);
  let stamp = 0;
  function localSearch(cover: number[]): number[] {
    lsCnt.fill(0);
    lsOwner.fill(0);
    inPick.fill(0);
    for (const j of cover) {
      inPick[j] = 1;
      for (let k = setStart[j]!; k < setStart[j + 1]!; k++) {
        lsCnt[setElems[k]!]!++;
        lsOwner[setElems[k]!]! += j;
      }
    }
    const drop = (j: number) => {
      inPick[j] = 0;
      for (let k = setStart[j]!; k < setStart[j + 1]!; k++) {
        lsCnt[setElems[k]!]!--;
        lsOwner[setElems[k]!]! -= j;
      }
    };
    const add = (j: number) => {
      inPick[j] = 1;
      for (let k = setStart[j]!; k < setStart[j + 1]!; k++) {
        lsCnt[setElems[k]!]!++;
        lsOwner[setElems[k]!]! += j;
      }
    };
    const redundant = (j: number) => {
      for (let k = setStart[j]!; k < setStart[j + 1]!; k++) if (lsCnt[setElems[k]!] === 1) return false;
      return true;
    };
    for (let pass = 0; pass < 50; pass++) {
      let improved = false;
      lsOwn.fill(0);
      for (let e = 0; e < nE; e++) if (lsCnt[e] === 1) lsOwn[lsOwner[e]!]!++;
      for (let t = 0; t < nS; t++) {
        if (inPick[t]) continue;
        stamp++;
        const cands: number[] = [];
        for (let k = setStart[t]!; k < setStart[t + 1]!; k++) {
          const e = setElems[k]!;
          if (lsCnt[e] !== 1) continue;
          const a = lsOwner[e]!;
          if (lsStamp[a] !== stamp) {
            lsStamp[a] = stamp;
            lsTally[a] = 0;
          }
          if (++lsTally[a]! === lsOwn[a]) cands.push(a);
        }
        if (cands.length < 2) continue;
        add(t);
        const removed: number[] = [];
        for (const a of cands) {
          if (redundant(a)) {
            drop(a);
            removed.push(a);
          }
        }
        if (removed.length < 2) {
          for (const a of removed) add(a);
          drop(t);
          continue;
        }
        improved = true;
        lsOwn.fill(0);
        for (let e = 0; e < nE; e++) if (lsCnt[e] === 1) lsOwn[lsOwner[e]!]!++;
      }
      budget.left -= setElems.length;
      if (!improved) break;
    }
    const out: number[] = [];
    for (const j of cover) if (inPick[j]) out.push(j);
    for (let j = 0; j < nS; j++) if (inPick[j] && !cover.includes(j)) out.push(j);
    return out;
  }

  return { heuristic, rounding };
}
