import { analyze } from "../worker/lang";
import { mapLines } from "./lines";

/**
 * stdin sentences (one per line) → one JSON array per line of the sentence's tokens,
 * [{"text","lemma","pos"}…] in order (a contraction as its two parts, both with its text);
 * an empty line gives [].
 */
export function runLemmatize(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<void> {
  return mapLines(input, output, lemmatizeLine);
}

export function lemmatizeLine(line: string): string {
  const tokens = analyze(line).map((t) => ({ text: t.text, lemma: t.lemma, pos: t.pos }));
  return `${JSON.stringify(tokens)}\n`;
}
