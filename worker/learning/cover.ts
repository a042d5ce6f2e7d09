/**
 * Learning sets: the fewest sentences that together contain every lemma of a word list
 * (minimum set cover, unit cost), ordered so each sentence brings the most new lemmas first.
 *
 * Solver choice. HiGHS (npm `highs`, MIT, the C++ solver compiled to WebAssembly) is the exact
 * reference in the benchmark and the tests' cross-check (a devDependency), but it is not used
 * here: its wasm is 3.5 MB (≈1 MB gzip, nearly doubling the API Worker's 1.17 MB), it must be
 * instantiated asynchronously while this function is synchronous and pure, and each solve parses
 * an LP text model of the whole instance inside the isolate's 128 MB. `javascript-lp-solver`
 * (Unlicense) is a plain JS simplex with a naive branch and bound: far slower than HiGHS on
 * thousands of columns and nothing it does is beyond what is below. So the exact solver is written
 * here, in TypeScript, for the structure of text instances:
 *
 *  1. reductions, repeated until nothing changes: a lemma in a single candidate forces it; a
 *     candidate whose (still uncovered) lemmas are a subset of another's is dominated (equal ones:
 *     the shorter, then the earlier, stays); a lemma every candidate of which also holds another
 *     lemma makes that other lemma redundant;
 *  2. the remaining core is split into independent components, each solved by depth-first branch
 *     and bound: Lagrangian lower bounds (subgradient optimisation, warm-started from the parent),
 *     reduced-cost fixing, a Lagrangian greedy for upper bounds, branching on the lemma with the
 *     fewest candidates;
 *  3. a pass for the secondary objective (fewer words): a chosen sentence is swapped for a shorter
 *     one that covers what only it covered, and any sentence left redundant is dropped.
 *
 * The effort cap is counted in work units (incidence visits), not read from a clock: a Worker's
 * clock does not advance during synchronous code, and the result must be the same on every run.
 * Past the cap the best cover found is returned with `optimal: false`.
 */

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
  /** Effort cap, in milliseconds of this solver's work on a typical machine (default 2,000). */
  timeLimitMs?: number;
}

/** Work units (incidence visits) per millisecond of `timeLimitMs`, measured on Node 24 / EPYC. */
const WORK_PER_MS = 40_000;
const EPS = 1e-9;

const now = () => (typeof performance !== "undefined" ? performance.now() : Date.now());

/** a better than b: more new lemmas, then fewer words, then earlier. */
function better(gainA: number, a: number, gainB: number, b: number, words?: readonly number[]): boolean {
  if (gainA !== gainB) return gainA > gainB;
  const wa = words?.[a] ?? 0;
  const wb = words?.[b] ?? 0;
  if (wa !== wb) return wa < wb;
  return a < b;
}

/**
 * Orders chosen sentences as a learner meets them: at each step the one adding the most
 * not-yet-covered lemmas (ties: fewer words, then earlier position); a sentence that adds nothing
 * is dropped.
 */
export function orderByNewWords(
  chosen: readonly number[],
  sets: readonly (readonly number[])[],
  words?: readonly number[],
): { order: number[]; newWords: number[][] } {
  const covered = new Set<number>();
  const left = [...new Set(chosen)];
  const gain = left.map((j) => sets[j]!.length);
  const order: number[] = [];
  const newWords: number[][] = [];
  while (left.length > 0) {
    let best = -1;
    for (let k = 0; k < left.length; k++) {
      if (best < 0 || better(gain[k]!, left[k]!, gain[best]!, left[best]!, words)) best = k;
    }
    const j = left[best]!;
    const fresh = sets[j]!.filter((e) => !covered.has(e));
    if (fresh.length !== gain[best]) {
      // stale gain: recompute every gain (gains only fall), then choose again
      for (let k = 0; k < left.length; k++) gain[k] = sets[left[k]!]!.filter((e) => !covered.has(e)).length;
      continue;
    }
    left.splice(best, 1);
    gain.splice(best, 1);
    if (fresh.length === 0) break; // the best adds nothing: neither does any other
    for (const e of fresh) covered.add(e);
    order.push(j);
    newWords.push([...fresh].sort((a, b) => a - b));
    for (let k = 0; k < left.length; k++) {
      const s = sets[left[k]!]!;
      let g = 0;
      for (const e of s) if (!covered.has(e)) g++;
      gain[k] = g;
    }
  }
  return { order, newWords };
}

/** A binary max-heap of candidates keyed by (gain desc, words asc, index asc). */
class GainHeap {
  private items: number[] = [];
  constructor(
    private readonly gain: Float64Array | Int32Array,
    private readonly tie: (a: number, b: number) => boolean,
  ) {}
  private above(a: number, b: number): boolean {
    const ga = this.gain[a]!;
    const gb = this.gain[b]!;
    if (ga !== gb) return ga > gb;
    return this.tie(a, b);
  }
  get size(): number {
    return this.items.length;
  }
  peek(): number {
    return this.items[0]!;
  }
  push(x: number): void {
    const h = this.items;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): number {
    const h = this.items;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.above(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.above(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * The plain greedy: repeatedly the sentence adding the most uncovered lemmas (ties: fewer words,
 * then earlier), until every coverable lemma is covered. Returned in the order picked.
 */
export function greedyCover(sets: readonly (readonly number[])[], words?: readonly number[]): number[] {
  const covered = new Set<number>();
  const gain = new Int32Array(sets.length);
  const heap = new GainHeap(gain, (a, b) => {
    const wa = words?.[a] ?? 0;
    const wb = words?.[b] ?? 0;
    return wa !== wb ? wa < wb : a < b;
  });
  sets.forEach((s, j) => {
    gain[j] = s.length;
    if (s.length > 0) heap.push(j);
  });
  const out: number[] = [];
  while (heap.size > 0) {
    const j = heap.pop();
    let g = 0;
    for (const e of sets[j]!) if (!covered.has(e)) g++;
    if (g === 0) continue;
    if (g !== gain[j]) {
      gain[j] = g; // lazy: gains only fall, so a re-pushed item is in its right place
      heap.push(j);
      continue;
    }
    for (const e of sets[j]!) covered.add(e);
    out.push(j);
  }
  return out;
}

/** An instance in compressed form: sets over dense elements 0..nE-1, and the reverse index. */
interface Core {
  nS: number;
  nE: number;
  /** local set → original sentence index */
  id: Int32Array;
  setStart: Int32Array;
  setElems: Int32Array;
  elemStart: Int32Array;
  elemSets: Int32Array;
}

function makeCore(setsList: readonly (readonly number[])[], ids: readonly number[], nE: number): Core {
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

interface Reduced {
  forced: number[];
  /** components of the core, each with its sentences' original indices in `id` */
  components: Core[];
}

/**
 * The reductions, repeated until nothing changes: forced sentences, dominated sentences,
 * dominated lemmas. `sets` are over any element ids; words break ties among equal sets.
 */
export function reduce(sets: readonly (readonly number[])[], words?: readonly number[]): Reduced & { stats: ReduceStats } {
  const stats: ReduceStats = { forced: 0, dominatedSets: 0, dominatedElements: 0, rounds: 0 };
  // current rows: sentence → its alive elements
  let alive: number[] = [];
  let rows: number[][] = [];
  sets.forEach((s, j) => {
    if (s.length > 0) {
      alive.push(j);
      rows.push([...s]);
    }
  });
  const forced: number[] = [];
  const tie = (a: number, b: number) => {
    const wa = words?.[a] ?? 0;
    const wb = words?.[b] ?? 0;
    return wa !== wb ? wa < wb : a < b;
  };
  for (;;) {
    stats.rounds++;
    let changed = false;
    // element → rows containing it
    const cols = new Map<number, number[]>();
    rows.forEach((r, k) => {
      for (const e of r) {
        let c = cols.get(e);
        if (!c) cols.set(e, (c = []));
        c.push(k);
      }
    });
    const dropRow = new Uint8Array(rows.length);
    const dropElem = new Set<number>();
    // forced: an element in a single row
    for (const [, c] of cols) {
      if (c.length === 1 && !dropRow[c[0]!]) {
        const k = c[0]!;
        dropRow[k] = 1;
        forced.push(alive[k]!);
        stats.forced++;
        for (const e of rows[k]!) dropElem.add(e);
      }
    }
    if (dropElem.size > 0) changed = true;
    if (!changed) {
      // dominated rows: r ⊆ r' (equal: keep the shorter sentence, then the earlier)
      const mark = new Map<number, number>();
      for (let k = 0; k < rows.length; k++) {
        const r = rows[k]!;
        let rare = r[0]!;
        for (const e of r) if (cols.get(e)!.length < cols.get(rare)!.length) rare = e;
        for (const e of r) mark.set(e, k);
        for (const k2 of cols.get(rare)!) {
          if (k2 === k || dropRow[k2]) continue;
          const r2 = rows[k2]!;
          if (r2.length < r.length) continue;
          let hit = 0;
          for (const e of r2) if (mark.get(e) === k) hit++;
          if (hit < r.length) continue;
          if (r2.length > r.length || tie(alive[k2]!, alive[k]!)) {
            dropRow[k] = 1;
            stats.dominatedSets++;
            changed = true;
            break;
          }
        }
      }
    }
    if (!changed) {
      // dominated elements: every row holding e also holds f, so covering e covers f: drop f
      // (equal columns: keep the smaller element id)
      const colOf = [...cols.keys()].sort((a, b) => a - b);
      const mark = new Map<number, number>();
      for (const e of colOf) {
        const c = cols.get(e)!;
        // elements in every row of c
        const count = new Map<number, number>();
        for (const k of c) for (const f of rows[k]!) count.set(f, (count.get(f) ?? 0) + 1);
        for (const [f, n] of count) {
          if (f === e || n !== c.length || dropElem.has(f)) continue;
          const cf = cols.get(f)!;
          if (cf.length === c.length && f < e) continue; // equal columns: the smaller id stays
          dropElem.add(f);
          stats.dominatedElements++;
          changed = true;
        }
        mark.set(e, 1);
      }
    }
    if (!changed) break;
    const nextAlive: number[] = [];
    const nextRows: number[][] = [];
    rows.forEach((r, k) => {
      if (dropRow[k]) return;
      const r2 = r.filter((e) => !dropElem.has(e));
      if (r2.length === 0) return;
      nextAlive.push(alive[k]!);
      nextRows.push(r2);
    });
    alive = nextAlive;
    rows = nextRows;
  }
  // components over elements (union-find), each with dense element ids
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    while (parent.get(r)! !== r) r = parent.get(r)!;
    let y = x;
    while (parent.get(y)! !== r) {
      const n = parent.get(y)!;
      parent.set(y, r);
      y = n;
    }
    return r;
  };
  for (const r of rows) for (const e of r) if (!parent.has(e)) parent.set(e, e);
  for (const r of rows) {
    const a = find(r[0]!);
    for (const e of r) {
      const b = find(e);
      if (a !== b) parent.set(b, a);
    }
  }
  const groups = new Map<number, number[]>();
  rows.forEach((r, k) => {
    const root = find(r[0]!);
    let g = groups.get(root);
    if (!g) groups.set(root, (g = []));
    g.push(k);
  });
  const components: Core[] = [];
  for (const ks of [...groups.values()].sort((a, b) => a[0]! - b[0]!)) {
    const dense = new Map<number, number>();
    const local: number[][] = [];
    for (const k of ks) {
      local.push(
        rows[k]!.map((e) => {
          let d = dense.get(e);
          if (d === undefined) dense.set(e, (d = dense.size));
          return d;
        }),
      );
    }
    components.push(makeCore(local, ks.map((k) => alive[k]!), dense.size));
  }
  return { forced, components, stats };
}

export interface ReduceStats {
  forced: number;
  dominatedSets: number;
  dominatedElements: number;
  rounds: number;
}

/** A budget of work units shared by every component's search. */
interface Budget {
  left: number;
  nodes: number;
}

/**
 * Exact minimum cover of one component by depth-first branch and bound.
 * Returns local set ids of the best cover found, and whether it is proven minimal.
 */
function solveCore(core: Core, budget: Budget, words?: readonly number[]): { cover: number[]; optimal: boolean; lowerBound: number } {
  const { nS, nE, setStart, setElems, elemStart, elemSets } = core;
  const wordsOf = (j: number) => words?.[core.id[j]!] ?? 0;
  const tie = (a: number, b: number) => {
    const wa = wordsOf(a);
    const wb = wordsOf(b);
    return wa !== wb ? wa < wb : core.id[a]! < core.id[b]!;
  };

  const cov = new Int32Array(nE); // chosen sets covering each element
  const state = new Uint8Array(nS); // 0 free, 1 chosen, 2 excluded
  const chosen: number[] = [];

  let best: number[] = [];
  let UB = Infinity;

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
    // drop redundant sets, the least useful first (the ones picked last)
    for (let i = pick.length - 1; i >= 0; i--) {
      const j = pick[i]!;
      let needed = false;
      for (let k = setStart[j]!; k < setStart[j + 1]!; k++) if (hCov[setElems[k]!] === 1) needed = true;
      if (!needed) {
        for (let k = setStart[j]!; k < setStart[j + 1]!; k++) hCov[setElems[k]!]!--;
        pick.splice(i, 1);
      }
    }
    if (pick.length < UB) {
      UB = pick.length;
      best = pick;
    }
  }

  // ---- Lagrangian lower bound on the residual problem (free sets, uncovered elements)
  const r = new Float64Array(nS); // reduced costs
  const g = new Float64Array(nE);
  const uBest = new Float64Array(nE);
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
        let s = 1;
        for (let k = setStart[j]!; k < setStart[j + 1]!; k++) {
          const e = setElems[k]!;
          if (cov[e] === 0) s -= u[e]!;
        }
        r[j] = s;
        if (s < 0) L += s;
      }
      budget.left -= setElems.length;
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
      if (it % 16 === 15) heuristic(u);
    }
    u.set(uBest);
    // reduced costs at the best multipliers
    for (let j = 0; j < nS; j++) {
      if (state[j] !== 0) continue;
      let s = 1;
      for (let k = setStart[j]!; k < setStart[j + 1]!; k++) {
        const e = setElems[k]!;
        if (cov[e] === 0) s -= u[e]!;
      }
      r[j] = s;
    }
    return Lbest;
  }

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
  let rootBound = 0;
  let complete = true;

  function node(u: Float64Array, depth: number): void {
    budget.nodes++;
    if (budget.left < 0) {
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
      if (base < UB) {
        UB = base;
        best = [...chosen];
      }
      return;
    }
    if (branchN === 0) return;
    const resUB = UB - base; // a better cover needs at most resUB - 1 more sets
    if (resUB <= 1) return;
    const L = lagrange(u, depth === 0 ? 600 : 60, resUB);
    const bound = Math.ceil(L - 1e-6);
    if (depth === 0) rootBound = base + bound;
    if (bound >= UB - base) return;
    // reduced-cost fixing (undone on return)
    const fixedOut: number[] = [];
    const fixedIn: number[] = [];
    const limit = UB - base - 1 + 1e-6;
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
      if (chosen.length < UB) {
        UB = chosen.length;
        best = [...chosen];
      }
    } else if (branchN > 0 && (fixedIn.length === 0 || chosen.length < UB)) {
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
        if (budget.left < 0) {
          complete = false;
          break;
        }
        state[j] = 2;
        excluded.push(j);
        if (UB - base <= 1) break;
      }
      for (const j of excluded) state[j] = 0;
    }
    for (let i = fixedIn.length - 1; i >= 0; i--) unchoose(fixedIn[i]!);
    for (const j of fixedOut) state[j] = 0;
  }

  node(u0, 0);
  const optimal = complete;
  return { cover: best.map((j) => j), optimal, lowerBound: optimal ? UB : Math.min(rootBound, UB) };
}

/**
 * Swaps for fewer words: a chosen sentence gives way to a shorter one covering every lemma only
 * it covered; a sentence left redundant is dropped. The count never grows.
 */
function fewerWords(chosen: number[], sets: readonly (readonly number[])[], words?: readonly number[]): number[] {
  const count = new Map<number, number>();
  for (const j of chosen) for (const e of sets[j]!) count.set(e, (count.get(e) ?? 0) + 1);
  const holders = new Map<number, number[]>();
  sets.forEach((s, j) => {
    for (const e of s) {
      let h = holders.get(e);
      if (!h) holders.set(e, (h = []));
      h.push(j);
    }
  });
  const inCover = new Set(chosen);
  const w = (j: number) => words?.[j] ?? 0;
  const remove = (j: number) => {
    inCover.delete(j);
    for (const e of sets[j]!) count.set(e, count.get(e)! - 1);
  };
  const add = (j: number) => {
    inCover.add(j);
    for (const e of sets[j]!) count.set(e, (count.get(e) ?? 0) + 1);
  };
  // drop redundant ones, longest first
  const byLength = [...inCover].sort((a, b) => w(b) - w(a) || b - a);
  for (const j of byLength) if (sets[j]!.every((e) => count.get(e)! > 1)) remove(j);
  if (!words) return [...inCover];
  for (let pass = 0; pass < 3; pass++) {
    let improved = false;
    for (const j of [...inCover].sort((a, b) => w(b) - w(a) || a - b)) {
      if (!inCover.has(j)) continue;
      const own = sets[j]!.filter((e) => count.get(e) === 1);
      if (own.length === 0) {
        remove(j);
        improved = true;
        continue;
      }
      let rare = own[0]!;
      for (const e of own) if (holders.get(e)!.length < holders.get(rare)!.length) rare = e;
      let pick = -1;
      for (const t of holders.get(rare)!) {
        if (inCover.has(t) || w(t) >= w(j)) continue;
        const s = new Set(sets[t]!);
        if (!own.every((e) => s.has(e))) continue;
        if (pick < 0 || w(t) < w(pick) || (w(t) === w(pick) && t < pick)) pick = t;
      }
      if (pick >= 0) {
        remove(j);
        add(pick);
        for (const k of [...inCover]) if (k !== pick && sets[k]!.every((e) => count.get(e)! > 1)) remove(k);
        improved = true;
      }
    }
    if (!improved) break;
  }
  return [...inCover];
}

/**
 * The fewest sentences covering every lemma that some sentence holds, in the new-words order.
 * Deterministic: the same input gives the same answer, whatever the machine's speed.
 */
export function minimumCover(sets: readonly (readonly number[])[], opts: CoverOptions = {}): CoverResult {
  const t0 = now();
  const words = opts.words;
  const budget: Budget = { left: (opts.timeLimitMs ?? 2000) * WORK_PER_MS, nodes: 0 };
  const { forced, components } = reduce(sets, words);
  const chosen = [...forced];
  let optimal = true;
  let lowerBound = forced.length;
  for (const core of components) {
    const res = solveCore(core, budget, words);
    for (const j of res.cover) chosen.push(core.id[j]!);
    optimal &&= res.optimal;
    lowerBound += res.lowerBound;
  }
  const improved = fewerWords(chosen, sets, words);
  const { order, newWords } = orderByNewWords(improved, sets, words);
  if (optimal) lowerBound = order.length;
  return { order, newWords, optimal, lowerBound, nodes: budget.nodes, ms: now() - t0 };
}
