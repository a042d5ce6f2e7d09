import { describe, expect, test } from "vitest";
import { highlightNewWords, looksLikeForm } from "../../web/src/lib/new-words";

const marked = (text: string, words: string[]) =>
  highlightNewWords(text, words)
    .map((p) => (p.word ? `[${p.text}]` : p.text))
    .join("");

describe("the web app's guess at a new word's forms in a sentence", () => {
  test("the lemma itself, a feminine or plural, a verb's forms, a longer lemma's near forms", () => {
    expect(marked("voulant la faire heureuse, bonne, droite et tendre.", ["bon", "faire", "heureux", "vouloir"])).toBe(
      "[voulant] la [faire] [heureuse], [bonne], droite et tendre.",
    );
    expect(marked("Elle parlait des nouvelles lettres.", ["parler", "nouveau", "lettre"])).toBe(
      "Elle [parlait] des [nouvelles] [lettres].",
    );
  });

  test("an elided article stays outside the word; case and apostrophes do not matter", () => {
    expect(marked("À tout moment l’un d’eux disait :", ["à", "un"])).toBe("[À] tout moment l’[un] d’eux disait :");
  });

  test("the text is kept whole, and each mark names its lemma", () => {
    const text = "Il mangeait des pommes.";
    const pieces = highlightNewWords(text, ["manger", "pomme"]);
    expect(pieces.map((p) => p.text).join("")).toBe(text);
    expect(pieces.filter((p) => p.word).map((p) => p.word)).toEqual(["manger", "pomme"]);
  });

  test("short lemmas need the word itself or an ending: no loose prefixes", () => {
    expect(looksLikeForm("merci", "mer")).toBe(false);
    expect(looksLikeForm("lesquels", "le")).toBe(false);
    expect(looksLikeForm("maisonnette", "maison")).toBe(false);
  });
});
