import type { LearningOptions, LearningSentence } from "../../schema/learning";

export type LearningMode = "coverage" | "filter";
export type LearningOptionsInput = LearningOptions;
/** An eligible sentence with a list word: what a selection is made of, and what a swap may take. */
export type PoolSentence = Omit<LearningSentence, "rank" | "new_words">;
export type SelectedSentence = LearningSentence;

export interface Selection {
  sentences: SelectedSentence[];
  /** coverage: every eligible sentence holding a list word (swap candidates); filter: empty. */
  pool: PoolSentence[];
  found_words: number;
  covered_words: number;
  uncovered: string[];
  optimal: boolean | null;
  lower_bound: number | null;
}
