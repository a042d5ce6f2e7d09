/**
 * Learning sets, the instance (./cover.ts): an instance in compressed form, the work budget every
 * search shares, and what a component's search shares with its heuristics and bound.
 */

/** An instance in compressed form: sets over dense elements 0..nE-1, and the reverse index. */
export interface Core {
  nS: number;
  nE: number;
  /** local set → original sentence index */
  id: Int32Array;
  setStart: Int32Array;
  setElems: Int32Array;
  elemStart: Int32Array;
  elemSets: Int32Array;
}

export function makeCore(setsList: readonly (readonly number[])[], ids: readonly number[], nE: number): Core {
  const nS = setsList.length;
  const setStart = new Int32Array(nS + 1);
  for (let j = 0; j < nS; j++) setStart[j + 1] = setStart[j]! + setsList[j]!.length;
  const setElems = new Int32Array(setStart[nS]!);
  const degree = new Int32Array(nE + 1);
  for (let j = 0; j < nS; j++) {
    let k = setStart[j]!;
    for (const e of setsList[j]!) {
      setElems[k++] = e;
      degree[e + 1]!++;
    }
  }
  const elemStart = new Int32Array(nE + 1);
  for (let e = 0; e < nE; e++) elemStart[e + 1] = elemStart[e]! + degree[e + 1]!;
  const fill = elemStart.slice(0, nE);
  const elemSets = new Int32Array(setElems.length);
  for (let j = 0; j < nS; j++) for (let k = setStart[j]!; k < setStart[j + 1]!; k++) elemSets[fill[setElems[k]!]!++] = j;
  return { nS, nE, id: Int32Array.from(ids), setStart, setElems, elemStart, elemSets };
}

/** A budget of work units shared by every component's search. */
export interface Budget {
  left: number;
  nodes: number;
}

/** One component's search as its heuristics (./cover-primal.ts) and bound (./cover-bound.ts) see it. */
export interface Search {
  core: Core;
  budget: Budget;
  /** a before b among sets of equal gain: fewer words, then earlier */
  tie: (a: number, b: number) => boolean;
  /** chosen sets covering each element */
  cov: Int32Array;
  /** per set: 0 free, 1 chosen, 2 excluded */
  state: Uint8Array;
  /** the sets chosen on the current branch */
  chosen: number[];
  /** the best cover found (local set ids) and its size */
  best: number[];
  UB: number;
  /** reduced costs at the last multipliers: the bound writes them, rounding breaks ties by them */
  r: Float64Array;
}
