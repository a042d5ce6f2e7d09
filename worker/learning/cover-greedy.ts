/** Learning sets, the greedy parts (./cover.ts): the new-words order, the plain greedy, and its heap. */

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
export class GainHeap {
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
