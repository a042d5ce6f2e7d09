/**
 * A learning set's selection, pure (no bindings: the Worker, the CLI and the benchmarks run the
 * same code): which sentences are eligible, and either the fewest that cover every list word
 * they offer (coverage) or all those mostly made of list words (filter).
 */
import type { LearningMode, LearningOptionsInput, PoolSentence, SelectedSentence, Selection } from "./types";
import { minimumCover } from "./cover";

/** A sentence of a book, analysed: its surface words' lemmas (a contraction's parts together). */
export interface AnalysedSentence {
  job_id: string;
  index: number;
  text: string;
  page: number;
  word_count: number;
  has_verb: boolean;
  /** One entry a surface word: the lemmas of its tokens (two for `du`: de, le), lower-cased. */
  words: readonly (readonly string[])[];
}

/** The pool entry of a sentence: its list words and the share of its words the list knows. */
export function poolEntry(s: AnalysedSentence, list: ReadonlySet<string>): PoolSentence {
  const found = new Set<string>();
  let known = 0;
  for (const w of s.words) {
    let all = w.length > 0;
    for (const lemma of w) {
      if (list.has(lemma)) found.add(lemma);
      else all = false;
    }
    if (all) known++;
  }
  return {
    job_id: s.job_id,
    index: s.index,
    text: s.text,
    page: s.page,
    word_count: s.word_count,
    has_verb: s.has_verb,
    list_words: [...found].sort(),
    known_ratio: s.words.length ? Math.round((known / s.words.length) * 10_000) / 10_000 : 0,
  };
}

export const isEligible = (s: { word_count: number; has_verb: boolean }, o: LearningOptionsInput) =>
  s.word_count >= o.min_words && s.word_count <= o.max_words && (!o.require_verb || s.has_verb);

/** Ranks and new words of sentences in the given order (a filter run keeps those that bring none). */
export function rankSentences(order: readonly PoolSentence[]): SelectedSentence[] {
  const seen = new Set<string>();
  const out: SelectedSentence[] = [];
  for (const s of order) {
    const fresh = s.list_words.filter((w) => !seen.has(w));
    for (const w of fresh) seen.add(w);
    out.push({ ...s, rank: out.length + 1, new_words: fresh });
  }
  return out;
}

/**
 * The selection over already-eligible sentences (in book order). `list` holds the list's
 * lemmas. Coverage: the pool keeps every eligible sentence with a list word (the alternatives
 * a swap may take); filter: the ranked sentences themselves.
 */
export function select(
  eligible: readonly AnalysedSentence[],
  list: ReadonlySet<string>,
  mode: LearningMode,
  options: LearningOptionsInput,
  // The solver's effort cap (worker/learning/cover.ts): a novel is proven optimal far within
  // it; a 1,000-page book's cover, when not proven, is as good at 1 s as at 5 (docs/bench.md).
  timeLimitMs = 1_000,
): Selection {
  const pool = eligible.map((s) => poolEntry(s, list)).filter((p) => p.list_words.length > 0);
  const found = new Set<string>();
  for (const p of pool) for (const w of p.list_words) found.add(w);
  let sentences: SelectedSentence[];
  let optimal: boolean | null = null;
  let lowerBound: number | null = null;
  if (mode === "coverage") {
    const ids = new Map<string, number>();
    for (const w of [...found].sort()) ids.set(w, ids.size);
    const sets = pool.map((p) => p.list_words.map((w) => ids.get(w)!).sort((a, b) => a - b));
    const cover = minimumCover(sets, { words: pool.map((p) => p.word_count), timeLimitMs });
    const names = [...ids.keys()];
    sentences = cover.order.map((i, rank) => ({
      ...pool[i]!,
      rank: rank + 1,
      new_words: cover.newWords[rank]!.map((id) => names[id]!).sort(),
    }));
    optimal = cover.optimal;
    lowerBound = cover.lowerBound;
  } else {
    const kept = pool
      .filter((p) => p.known_ratio >= options.min_known_ratio)
      .map((p, order) => ({ p, order, unknown: p.word_count - Math.round(p.known_ratio * p.word_count) }));
    kept.sort((a, b) => a.unknown - b.unknown || b.p.list_words.length - a.p.list_words.length || a.order - b.order);
    sentences = rankSentences(kept.map((k) => k.p));
  }
  const covered = new Set<string>();
  for (const s of sentences) for (const w of s.list_words) covered.add(w);
  return {
    sentences,
    pool: mode === "coverage" ? pool : [],
    found_words: found.size,
    covered_words: covered.size,
    uncovered: [...list].filter((w) => !covered.has(w)).sort(),
    optimal,
    lower_bound: lowerBound,
  };
}

/** Eligible sentences not in the selection that hold every new word of the one at `rank`. */
export function alternatives(selection: readonly SelectedSentence[], pool: readonly PoolSentence[], rank: number, limit = 50) {
  const at = selection[rank - 1];
  if (!at) return null;
  const chosen = new Set(selection.map((s) => `${s.job_id}/${s.index}`));
  const need = at.new_words;
  const found = pool.filter((p) => {
    if (chosen.has(`${p.job_id}/${p.index}`)) return false;
    const has = new Set(p.list_words);
    return need.every((w) => has.has(w));
  });
  // Shortest first, then those that bring most list words, then book order.
  found.sort((a, b) => a.word_count - b.word_count || b.list_words.length - a.list_words.length);
  return { rank, new_words: need, alternatives: found.slice(0, limit) };
}

/**
 * The selection with the sentence at `rank` replaced by `replacement` (which must hold that
 * rank's new words, so the whole stays a cover); the order is kept, the new words recounted,
 * and a later sentence that now brings nothing is left out.
 */
export function swap(selection: readonly SelectedSentence[], rank: number, replacement: PoolSentence): SelectedSentence[] {
  const order: PoolSentence[] = selection.map(({ rank: _r, new_words: _n, ...s }) => s);
  order[rank - 1] = replacement;
  return rankSentences(order)
    .filter((s) => s.new_words.length > 0)
    .map((s, i) => ({ ...s, rank: i + 1 }));
}
