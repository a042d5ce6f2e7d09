/** A reader of CoNLL-U (Universal Dependencies) text: sentences with their words and surface tokens. */
import type { Upos } from "./upos";

export interface GoldWord {
  form: string;
  lemma: string;
  pos: Upos;
}

/** A surface token: one word, or a multiword token ("du") with its parts ("de" "le"). */
export interface GoldToken {
  text: string;
  words: GoldWord[];
}

export interface GoldSentence {
  id: string;
  text: string;
  tokens: GoldToken[];
}

export function parseConllu(source: string): GoldSentence[] {
  const out: GoldSentence[] = [];
  let cur: GoldSentence | null = null;
  let mwtEnd = 0;
  for (const line of source.split("\n")) {
    if (line.startsWith("# sent_id = ")) {
      cur = { id: line.slice(12).trim(), text: "", tokens: [] };
      mwtEnd = 0;
      out.push(cur);
      continue;
    }
    if (line.startsWith("# text = ")) {
      if (cur) cur.text = line.slice(9).replace(/\r$/, "");
      continue;
    }
    if (!cur || line.startsWith("#") || line.trim() === "") continue;
    const cols = line.split("\t");
    const id = cols[0]!;
    if (id.includes(".")) continue;
    const range = /^(\d+)-(\d+)$/.exec(id);
    if (range) {
      cur.tokens.push({ text: cols[1]!, words: [] });
      mwtEnd = Number(range[2]);
      continue;
    }
    const word: GoldWord = { form: cols[1]!, lemma: cols[2]!, pos: cols[3] as Upos };
    if (Number(id) <= mwtEnd) cur.tokens[cur.tokens.length - 1]!.words.push(word);
    else cur.tokens.push({ text: word.form, words: [word] });
  }
  return out.filter((s) => s.tokens.length > 0);
}
