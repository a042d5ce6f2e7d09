/**
 * Learning sets, the lower bound (./cover.ts, method step 2): the Lagrangian relaxation of the
 * residual problem (free sets, uncovered elements), maximised by subgradient. Every 16 steps the
 * heuristics run on the current multipliers and the averaged solutions.
 */
import type { Search } from "./cover-core";
import type { Primal } from "./cover-primal";

/** max_u L(u) of one component's residual problem; writes the reduced costs to `search.r`. */
export type Lagrange = (u: Float64Array, iters: number, resUB: number) => number;

export function lagrangian(search: Search, { heuristic, rounding }: Primal): Lagrange {
  const { nS, nE, setStart, setElems } = search.core;
  const { cov, state, budget, r } = search;
  const g = new Float64Array(nE);
  const uBest = new Float64Array(nE);
  const xbar = new Float64Array(nS);
  /** A free set's reduced cost at `u`: 1 less the multipliers of the elements it would newly cover. */
  function reducedCost(j: number, u: Float64Array): number {
    let s = 1;
    for (let k = setStart[j]!; k < setStart[j + 1]!; k++) {
      const e = setElems[k]!;
      if (cov[e] === 0) s -= u[e]!;
    }
    return s;
  }
  /** max_u L(u) by subgradient from `u` (updated in place to the best multipliers); returns L. */
  function lagrange(u: Float64Array, iters: number, resUB: number): number {
    let lambda = 1;
    let Lbest = -Infinity;
    let stall = 0;
    for (let it = 0; it < iters; it++) {
      let L = 0;
      for (let e = 0; e < nE; e++) if (cov[e] === 0) L += u[e]!;
      for (let j = 0; j < nS; j++) {
        if (state[j] !== 0) continue;
        const s = reducedCost(j, u);
        r[j] = s;
        if (s < 0) L += s;
      }
      budget.left -= setElems.length;
      for (let j = 0; j < nS; j++) if (state[j] === 0) xbar[j] = it === 0 ? (r[j]! < 0 ? 1 : 0) : 0.9 * xbar[j]! + (r[j]! < 0 ? 0.1 : 0);
      if (L > Lbest + 1e-9) {
        Lbest = L;
        uBest.set(u);
        stall = 0;
      } else if (++stall >= 8) {
        lambda /= 2;
        stall = 0;
      }
      if (Math.ceil(Lbest - 1e-6) >= resUB || lambda < 1e-3 || budget.left < 0) break;
      // subgradient: 1 - #sets with negative reduced cost covering e
      let norm = 0;
      for (let e = 0; e < nE; e++) g[e] = cov[e] === 0 ? 1 : 0;
      for (let j = 0; j < nS; j++) {
        if (state[j] !== 0 || r[j]! >= 0) continue;
        for (let k = setStart[j]!; k < setStart[j + 1]!; k++) g[setElems[k]!]!--;
      }
      for (let e = 0; e < nE; e++) {
        if (cov[e] !== 0 || (u[e] === 0 && g[e]! < 0)) g[e] = 0;
        norm += g[e]! * g[e]!;
      }
      if (norm === 0) break; // the Lagrangian solution is a feasible cover: L is optimal
      const step = (lambda * (Math.min(resUB, 1e9) * 1.02 - L + 0.1)) / norm;
      for (let e = 0; e < nE; e++) if (g[e] !== 0) u[e] = Math.max(0, u[e]! + step * g[e]!);
      if (it % 16 === 15) {
        heuristic(u);
        rounding(xbar);
      }
    }
    u.set(uBest);
    // reduced costs at the best multipliers
    for (let j = 0; j < nS; j++) if (state[j] === 0) r[j] = reducedCost(j, u);
    return Lbest;
  }

  return lagrange;
}
