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
  const left = [...new Set(chosen)];
  const n = left.length;
  let maxId = -1;
  for (const j of left) for (const e of sets[j]!) if (e > maxId) maxId = e;
  // element → positions in `left` holding it (CSR)
  const count = new Int32Array(maxId + 2);
  for (const j of left) for (const e of sets[j]!) count[e + 1]!++;
  for (let e = 0; e <= maxId; e++) count[e + 1]! += count[e]!;
  const holders = new Int32Array(count[maxId + 1]!);
  const fill = count.slice(0, maxId + 1);
  left.forEach((j, i) => {
    for (const e of sets[j]!) holders[fill[e]!++] = i;
  });
  const covered = new Uint8Array(maxId + 1);
  const gain = Int32Array.from(left, (j) => sets[j]!.length);
  const done = new Uint8Array(n);
  const order: number[] = [];
  const newWords: number[][] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < n; i++) {
      if (done[i] || gain[i] === 0) continue;
      if (best < 0 || better(gain[i]!, left[i]!, gain[best]!, left[best]!, words)) best = i;
    }
    if (best < 0) break; // every one left adds nothing: dropped
    done[best] = 1;
    const j = left[best]!;
    const fresh: number[] = [];
    for (const e of sets[j]!) {
      if (covered[e]) continue;
      covered[e] = 1;
      fresh.push(e);
      for (let p = count[e]!; p < count[e + 1]!; p++) gain[holders[p]!]!--;
    }
    order.push(j);
    newWords.push(fresh.sort((a, b) => a - b));
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
 * The three are applied together in a round, each judged on the round's starting rows: a subset
 * stays a subset, and a column inclusion stays one, once other rows and elements are gone.
 */
export function reduce(sets: readonly (readonly number[])[], words?: readonly number[]): Reduced & { stats: ReduceStats } {
  const stats: ReduceStats = { forced: 0, dominatedSets: 0, dominatedElements: 0, rounds: 0 };
  // dense element ids, in order of first appearance; rows (the non-empty sets) in one flat array
  let maxId = -1;
  let total = 0;
  let nR = 0;
  for (const s of sets) {
    if (s.length === 0) continue;
    nR++;
    total += s.length;
    for (const e of s) if (e > maxId) maxId = e;
  }
  const denseOf = new Int32Array(maxId + 1).fill(-1);
  let nE = 0;
  let alive = new Int32Array(nR);
  let rowStart = new Int32Array(nR + 1);
  let rowElems = new Int32Array(total);
  {
    let k = 0;
    let p = 0;
    for (let j = 0; j < sets.length; j++) {
      const s = sets[j]!;
      if (s.length === 0) continue;
      alive[k] = j;
      for (const e of s) rowElems[p++] = denseOf[e] === -1 ? (denseOf[e] = nE++) : denseOf[e]!;
      rowStart[++k] = p;
    }
  }
  const forced: number[] = [];
  const w = (j: number) => words?.[j] ?? 0;
  /** sentence a is preferred to b among equal rows: fewer words, then earlier */
  const tie = (a: number, b: number) => (w(a) !== w(b) ? w(a) < w(b) : a < b);
  const colCount = new Int32Array(nE);
  const colStart = new Int32Array(nE + 1);
  const fill = new Int32Array(nE);
  const mark = new Int32Array(nE).fill(-1);
  const tally = new Int32Array(nE);
  const tallyStamp = new Int32Array(nE).fill(-1);
  const dropElem = new Uint8Array(nE);
  const colRows = new Int32Array(total);
  const sig = new Int32Array(nR);
  const dropRow = new Uint8Array(nR);
  for (;;) {
    stats.rounds++;
    colCount.fill(0);
    const inc = rowStart[nR]!;
    for (let p = 0; p < inc; p++) colCount[rowElems[p]!]!++;
    colStart[0] = 0;
    for (let e = 0; e < nE; e++) colStart[e + 1] = colStart[e]! + colCount[e]!;
    fill.set(colStart.subarray(0, nE));
    for (let k = 0; k < nR; k++) {
      let sg = 0;
      for (let p = rowStart[k]!; p < rowStart[k + 1]!; p++) {
        const e = rowElems[p]!;
        colRows[fill[e]!++] = k;
        sg |= 1 << (e & 31);
      }
      sig[k] = sg;
    }
    dropRow.fill(0, 0, nR);
    let changed = false;
    // forced: an element in a single row
    for (let e = 0; e < nE; e++) {
      if (colCount[e] !== 1) continue;
      const k = colRows[colStart[e]!]!;
      if (dropRow[k]) continue;
      dropRow[k] = 1;
      forced.push(alive[k]!);
      stats.forced++;
      for (let p = rowStart[k]!; p < rowStart[k + 1]!; p++) dropElem[rowElems[p]!] = 1;
      changed = true;
    }
    // dominated rows: r ⊆ r2 (equal: the preferred sentence stays)
    for (let k = 0; k < nR; k++) {
      if (dropRow[k]) continue;
      const a = rowStart[k]!;
      const len = rowStart[k + 1]! - a;
      let rare = rowElems[a]!;
      for (let p = a; p < a + len; p++) {
        const e = rowElems[p]!;
        mark[e] = k;
        if (colCount[e]! < colCount[rare]!) rare = e;
      }
      const sk = sig[k]!;
      for (let q = colStart[rare]!; q < colStart[rare + 1]!; q++) {
        const k2 = colRows[q]!;
        if (k2 === k || (sk & ~sig[k2]!) !== 0 || dropRow[k2]) continue;
        const len2 = rowStart[k2 + 1]! - rowStart[k2]!;
        if (len2 < len) continue;
        let hit = 0;
        for (let p = rowStart[k2]!; p < rowStart[k2 + 1]!; p++) if (mark[rowElems[p]!] === k) hit++;
        if (hit < len) continue;
        if (len2 > len || tie(alive[k2]!, alive[k]!)) {
          dropRow[k] = 1;
          stats.dominatedSets++;
          changed = true;
          break;
        }
      }
    }
    // dominated elements: every row holding e also holds f, so covering e covers f: f goes
    // (equal columns: the smaller id stays)
    for (let e = 0; e < nE; e++) {
      const n = colCount[e]!;
      if (n === 0) continue;
      for (let q = colStart[e]!; q < colStart[e + 1]!; q++) {
        const k = colRows[q]!;
        for (let p = rowStart[k]!; p < rowStart[k + 1]!; p++) {
          const f = rowElems[p]!;
          if (tallyStamp[f] !== e) {
            tallyStamp[f] = e;
            tally[f] = 0;
          }
          if (++tally[f]! === n && f !== e && !dropElem[f] && !(colCount[f] === n && f < e)) {
            dropElem[f] = 1;
            stats.dominatedElements++;
            changed = true;
          }
        }
      }
    }
    if (!changed) break;
    // compact in place: the write position never passes the read position
    let k2 = 0;
    let p2 = 0;
    let from = rowStart[0]!;
    for (let k = 0; k < nR; k++) {
      const to = rowStart[k + 1]!; // read before row k2 + 1 ≤ k + 1 is written
      const start = p2;
      if (!dropRow[k]) for (let p = from; p < to; p++) if (!dropElem[rowElems[p]!]) rowElems[p2++] = rowElems[p]!;
      from = to;
      if (p2 === start) continue;
      alive[k2] = alive[k]!;
      rowStart[++k2] = p2;
    }
    rowStart[0] = 0;
    nR = k2;
  }
  alive = alive.subarray(0, nR);
  rowStart = rowStart.subarray(0, nR + 1);
  rowElems = rowElems.subarray(0, rowStart[nR]);
  // components over elements (union-find), each with dense local element ids
  const parent = Int32Array.from({ length: nE }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  for (let k = 0; k < nR; k++) {
    const a = find(rowElems[rowStart[k]!]!);
    for (let p = rowStart[k]! + 1; p < rowStart[k + 1]!; p++) {
      const b = find(rowElems[p]!);
      if (b !== a) parent[b] = a;
    }
  }
  const groups = new Map<number, number[]>();
  for (let k = 0; k < nR; k++) {
    const root = find(rowElems[rowStart[k]!]!);
    let g = groups.get(root);
    if (!g) groups.set(root, (g = []));
    g.push(k);
  }
  const components: Core[] = [];
  const local = new Int32Array(nE).fill(-1);
  for (const ks of groups.values()) {
    let n = 0;
    const localRows = ks.map((k) =>
      Array.from(rowElems.subarray(rowStart[k]!, rowStart[k + 1]!), (e) => (local[e] === -1 ? (local[e] = n++) : local[e]!)),
    );
    components.push(
      makeCore(
        localRows,
        ks.map((k) => alive[k]!),
        n,
      ),
    );
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
function solveCore(
  core: Core,
  budget: Budget,
  words: readonly number[] | undefined,
  mode: "root" | "improve",
  start?: CoreResult,
  cap = Infinity,
): CoreResult {
  const rootOnly = mode === "root";
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
    keepCover(pick);
  }

  // ---- rounding of an approximate LP solution (averaged Lagrangian solutions): take sets by
  // decreasing weight while they add something, drop the redundant ones lightest first
  function rounding(x: Float64Array): void {
    hCov.set(cov);
    const free: number[] = [];
    for (let j = 0; j < nS; j++) if (state[j] === 0) free.push(j);
    free.sort((a, b) => x[b]! - x[a]! || r[a]! - r[b]! || (tie(a, b) ? -1 : 1));
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
    if (improved.length < UB) {
      UB = improved.length;
      best = improved;
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

  // ---- Lagrangian lower bound on the residual problem (free sets, uncovered elements)
  const r = new Float64Array(nS); // reduced costs
  const g = new Float64Array(nE);
  const uBest = new Float64Array(nE);
  const xbar = new Float64Array(nS);
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
  if (start && start.cover.length < UB) {
    UB = start.cover.length;
    best = start.cover;
  }
  // only covers of at most `cap` sets matter: search as if one of cap + 1 were known
  UB = Math.min(UB, cap + 1);
  const startUB = UB;
  let rootBound = 0;
  let rootL = -Infinity;
  let rootR: Float64Array | undefined;
  let complete = true;

  function node(u: Float64Array, depth: number): void {
    budget.nodes++;
    if (budget.left < 0 || UB < startUB) {
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
    if (depth === 0) {
      rootBound = base + bound;
      rootL = L;
      rootR = r.slice();
    }
    if (bound >= UB - base) return;
    if (rootOnly) {
      complete = false;
      return;
    }
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
        if (budget.left < 0 || UB < startUB) {
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
  let keep: number[] | undefined;
  if (!optimal && rootR) {
    // the sets that a cover of at most UB - 1 may hold (reduced-cost fixing at the root)
    keep = [];
    for (let j = 0; j < nS; j++) if (rootR[j]! < 0 || rootL + rootR[j]! <= UB - 1 + 1e-6) keep.push(j);
  }
  return { cover: best, optimal, lowerBound: optimal ? UB : Math.min(rootBound, UB), keep };
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
function exactCover(
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
