/** Learning sets, the reductions (./cover.ts, method step 1): forced, dominated sentences and lemmas, then components. */
import { type Core, makeCore } from "./cover-core";

export interface Reduced {
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
