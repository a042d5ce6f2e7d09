import { DEFAULT_WORDLIST_ID } from "../../schema/learning";
import { DEFAULT_WORDLIST } from "../lang";
import { toEntry, type Entry } from "./wordlist-file";

/** A word list with its entries, whoever's it is. */
export interface LoadedList {
  id: string;
  name: string;
  entries: Entry[];
}

/** Where the built-in list comes from (shown with it: its licence asks for the attribution). */
export const DEFAULT_WORDLIST_SOURCE =
  "The 2,000 most frequent lemmas of French subtitles: the 50,000 most frequent word forms of OpenSubtitles 2018 " +
  "(FrequencyWords by Hermit Dave, CC BY-SA 4.0), lemmatized and their counts summed by scripts/build-wordlist.ts.";

let defaultEntries: Entry[] | undefined;
/** The built-in list, its entries made once per isolate. */
export function defaultList(): LoadedList {
  // The list holds lemmas already: each stands for itself.
  defaultEntries ??= DEFAULT_WORDLIST.map((lemma) => ({ word: lemma, lemma, known: toEntry(lemma).known }));
  return { id: DEFAULT_WORDLIST_ID, name: "Most frequent French words (2,000)", entries: defaultEntries };
}

/** The distinct lemmas of a list: what a learning set matches. */
export const listLemmas = (entries: readonly Entry[]) => new Set(entries.map((e) => e.lemma.toLowerCase()));
