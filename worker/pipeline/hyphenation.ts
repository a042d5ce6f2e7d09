/**
 * Line-end hyphens: typesetting ("mar-" + "chait") or a real compound that happened to
 * break at its hyphen ("Saint-" + "Bernard", "partons-" + "nous"). The book itself is the
 * best judge (does "marchait" or "mar-chait" occur elsewhere?); French rules decide
 * when it is silent.
 */

const LINE_END_HYPHEN = /\p{L}[-\u2010\u00AD]$/u;
const LEFT_FRAGMENT = /([\p{L}\p{M}\u2019'-]*\p{L})[-\u2010\u00AD]$/u;
const RIGHT_FRAGMENT = /^[\p{L}\p{M}][\p{L}\p{M}\u2019'-]*/u;

// Subject and object pronouns after a verb: "partons-nous", "dit-il", "celle-là".
const CLITICS = new Set([
  "je",
  "tu",
  "il",
  "elle",
  "on",
  "nous",
  "vous",
  "ils",
  "elles",
  "moi",
  "toi",
  "lui",
  "leur",
  "là",
  "ci",
  "même",
  "mêmes",
]);
// Short clitics that are also common word endings ("for-ce", "ta-ble"): only after a verb form.
const AMBIGUOUS_CLITICS = new Set(["le", "la", "les", "en", "y", "ce"]);

// First halves of compounds that are rarely the first syllable of a longer word.
const COMPOUND_HEADS = new Set([
  "demi",
  "semi",
  "vice",
  "grand",
  "grande",
  "petit",
  "petite",
  "belle",
  "beau",
  "saint",
  "sainte",
  "dix",
  "vingt",
  "trente",
  "quarante",
  "cinquante",
  "soixante",
  "quatre",
  "peut",
  "très",
  "arrière",
  "après",
  "sous",
  "chef",
  "celle",
  "celui",
  "ceux",
  "celles",
  "vis",
  "c’est",
  "c'est",
  "anglo",
  "franco",
  "gallo",
  "gréco",
  "italo",
  "austro",
  "hispano",
  "germano",
  "judéo",
  "indo",
  "néo",
  "pseudo",
]);
// "pied-" + "à-terre", "vert-" + "de-gris": the rest of a compound that has more hyphens.
const COMPOUND_LINKS = new Set(["à", "de", "du", "des", "en", "la", "le", "les", "sur", "sous", "l’", "d’"]);
const AU_COMPOUNDS = /^(dessus|dessous|dedans|dehors|delà|devant|deçà|près)/;
const PAR_COMPOUNDS = /^(derrière|dessus|dessous|devant|delà|deçà|ici|là)/;
// Short grammatical words that also begin many single words ("sur-vivre", "les-quelles").
const FUNCTION_WORDS = new Set([
  "sur",
  "sous",
  "les",
  "des",
  "par",
  "pour",
  "dans",
  "avec",
  "mais",
  "pas",
  "une",
  "elle",
  "ils",
  "que",
  "qui",
  "son",
  "ses",
  "mes",
  "tes",
  "nos",
  "vos",
  "leur",
  "aux",
  "car",
  "con",
  "dès",
  "est",
  "ont",
  "mon",
  "ton",
  "lui",
  "non",
  "ma",
  "ta",
  "sa",
  "tout",
  "toute",
  "entre",
  "contre",
  "pré",
  "pro",
]);

/** Word counts of a whole book, for deciding line-end hyphens. */
export class Vocabulary {
  private readonly counts = new Map<string, number>();
  private sorted: string[] | undefined;

  /** Adds the words of one paragraph's lines, leaving out the halves of line-end breaks. */
  addLines(lines: readonly string[]): void {
    for (let i = 0; i < lines.length; i++) {
      const tokens = lines[i]!.split(/\s+/u).filter((t) => t !== "");
      const from = i > 0 && LINE_END_HYPHEN.test(lines[i - 1]!) ? 1 : 0;
      const to = LINE_END_HYPHEN.test(lines[i]!) ? tokens.length - 1 : tokens.length;
      for (let k = from; k < to; k++) this.addToken(tokens[k]!);
    }
  }

  private addToken(token: string): void {
    const word = token.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "").toLowerCase();
    if (word === "") return;
    this.bump(word);
    // "l’humidité" also counts as "humidité": a break may fall after the elision.
    const apostrophe = Math.max(word.lastIndexOf("’"), word.lastIndexOf("'"));
    if (apostrophe > 0 && apostrophe < word.length - 1) this.bump(word.slice(apostrophe + 1));
  }

  private bump(word: string): void {
    this.counts.set(word, (this.counts.get(word) ?? 0) + 1);
    this.sorted = undefined;
  }

  /** Does some word of the book start with `prefix`? (another form of the same word) */
  hasPrefix(prefix: string): boolean {
    const p = prefix.toLowerCase();
    const sorted = (this.sorted ??= [...this.counts.keys()].sort());
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < p) lo = mid + 1;
      else hi = mid;
    }
    return lo < sorted.length && sorted[lo]!.startsWith(p);
  }

  count(word: string): number {
    return this.counts.get(word.toLowerCase()) ?? 0;
  }
}

/** True when `line` ends in a hyphen glued to a letter (a candidate line-end break). */
export function endsWithBreakHyphen(line: string): boolean {
  return LINE_END_HYPHEN.test(line);
}

/**
 * Should the hyphen at the end of `before` stay when joined to `after`?
 * Both are the texts around the break (the hyphen still on `before`).
 */
export function keepsHyphen(before: string, after: string, vocab: Vocabulary): boolean {
  // A soft hyphen is by definition only a typesetting break.
  if (before.endsWith("\u00AD")) return false;
  // Only the last word matters; a short tail keeps the regex linear on long paragraphs.
  const leftMatch = LEFT_FRAGMENT.exec(before.slice(-80));
  const rightMatch = RIGHT_FRAGMENT.exec(after);
  if (!leftMatch || !rightMatch) return true;
  const leftWord = leftMatch[1]!;
  const apostrophe = Math.max(leftWord.lastIndexOf("’"), leftWord.lastIndexOf("'"));
  // An English genitive ("Queen’s-" + "street") is whole: no syllable break follows its s.
  if (apostrophe > 0 && /^s$/iu.test(leftWord.slice(apostrophe + 1))) return true;
  const left = leftWord.slice(apostrophe + 1);
  const right = rightMatch[0].replace(/[\u2019'-]+$/u, "");
  const l = left.toLowerCase();
  const r = right.toLowerCase();

  // Euphonic t: "a-" + "t-il", "va-" + "t-elle".
  if (/^t-/.test(r)) return true;
  const joined = vocab.count(l + r);
  const hyphenated = vocab.count(`${l}-${r}`);
  if (joined !== hyphenated) return hyphenated > joined;

  // The book is silent on this form: fall back on how French compounds look.
  const head = l.slice(l.lastIndexOf("-") + 1);
  const segments = r.split("-");
  const rightHead = segments[0]!;
  if (segments.length > 1 && COMPOUND_LINKS.has(rightHead)) return true;
  if (/^\p{Lu}/u.test(right)) return true;
  if (CLITICS.has(rightHead)) return true;
  if (AMBIGUOUS_CLITICS.has(rightHead) && /(ez|ons|[^aeiouyé]t|-t)$/u.test(l)) return true;
  if (COMPOUND_HEADS.has(head)) return true;
  if (head === "au" && AU_COMPOUNDS.test(r)) return true;
  if (head === "par" && PAR_COMPOUNDS.test(r)) return true;
  // Another form of the joined word ("marchaient" for "mar-chait") says it is one word;
  // two words the book uses on their own ("bas" + "fond") say it is a compound.
  const stem = l + rightHead.slice(0, Math.max(2, rightHead.length - 2));
  if (vocab.hasPrefix(stem)) return false;
  if (
    /^\p{Ll}/u.test(left) &&
    head.length >= 3 &&
    rightHead.length >= 4 &&
    !FUNCTION_WORDS.has(head) &&
    vocab.count(head) >= 2 &&
    vocab.count(rightHead) >= 2
  ) {
    return true;
  }
  return false;
}

/**
 * Joins the lines of one paragraph. With `fix`, typesetting hyphens are removed and
 * compound hyphens kept; without it, every line-end hyphen stays and nothing is inserted.
 * Linear in the paragraph: each line is judged on the joined text's tail, never on the whole
 * (a book that is one paragraph of short lines would be read again at every line).
 */
export function joinLines(lines: readonly string[], vocab: Vocabulary, fix: boolean): string {
  const parts: string[] = [];
  // The joined text's last characters: enough for keepsHyphen's last word (it reads 80).
  let tail = "";
  const append = (piece: string) => {
    parts.push(piece);
    tail = (tail + piece).slice(-TAIL);
  };
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "") continue;
    if (parts.length === 0) {
      append(line);
    } else if (LINE_END_HYPHEN.test(tail)) {
      // What the hyphen becomes (null: it stays). Unfixed, the break shows as the reader saw it
      // on paper: "mar-chait", a soft hyphen as a hyphen.
      const soft = tail.endsWith("\u00AD");
      const replace = fix ? (keepsHyphen(tail, line, vocab) ? null : "") : soft ? "-" : null;
      if (replace !== null) {
        const last = parts.length - 1;
        parts[last] = parts[last]!.slice(0, -1) + replace;
        tail = tail.slice(0, -1) + replace;
      }
      append(line);
    } else {
      append(` ${line}`);
    }
  }
  return parts.join("");
}
const TAIL = 100;
