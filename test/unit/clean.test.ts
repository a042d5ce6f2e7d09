import { describe, expect, it } from "vitest";
import { cleanPages } from "../../worker/pipeline";
import { joinLines, keepsHyphen, Vocabulary } from "../../worker/pipeline/hyphenation";
import type { ExtractedPdf, Line } from "../../worker/pipeline/types";

// A synthetic A5 book: text block from x=50 to x=370, 10 pt type on 12 pt leading.
type Kind = "indent" | "flush" | "last" | "center" | "gap";
type Spec = [Kind, string];

const LEFT = 50;
const RIGHT = 370;

function layPage(specs: Spec[], page: number, head?: string, foot?: string): { page: number; lines: Line[] } {
  const lines: Line[] = [];
  if (head !== undefined) lines.push({ text: head, x: 150, y: 560, right: 270, size: 10 });
  let y = 520;
  for (const [kind, text] of specs) {
    if (kind === "gap") {
      y -= 24;
      continue;
    }
    const width = text.length * 4.5;
    const x = kind === "indent" ? LEFT + 20 : kind === "center" ? 210 - width / 2 : LEFT;
    const right = kind === "center" ? 210 + width / 2 : kind === "last" ? x + width : RIGHT;
    lines.push({ text, x, y, right: Math.min(right, RIGHT), size: 10 });
    y -= 12;
  }
  if (foot !== undefined) lines.push({ text: foot, x: 205, y: 30, right: 215, size: 10 });
  return { page, lines };
}

function book(pages: { page: number; lines: Line[] }[]): ExtractedPdf {
  return { pageCount: pages.length, pages, width: 420, height: 595 };
}

// Words, not digits: running heads are compared with their numbers masked.
const WORDS = ["pomme", "poire", "prune", "cerise", "fraise", "melon", "figue", "datte", "olive", "raisin"];
const filler = (page: number, n: number): Spec[] =>
  Array.from({ length: n }, (_, i): Spec => {
    const w = `${WORDS[page % 10]} ${WORDS[i % 10]}`;
    if (i % 4 === 0) return ["indent", `Début ${w} du paragraphe qui continue`];
    return i % 4 === 3 ? ["last", `fin ${w}.`] : ["flush", `suite ${w} du texte courant`];
  });

describe("cleanPages", () => {
  it("removes alternating running heads carrying page numbers, and joins paragraphs over page breaks", () => {
    const pages = [];
    for (let p = 1; p <= 8; p++) {
      const head = p % 2 === 0 ? `${p} UNE VIE` : `LE DÉPART ${p}`;
      const body: Spec[] =
        p === 1
          ? [
              ["indent", "Jeanne, ayant fini ses malles, s’approcha de la"],
              ["flush", "fenêtre."],
            ]
          : [
              ["flush", `la suite ${WORDS[p]} continue ici et`],
              ["last", `se termine ${WORDS[p]}.`],
              ["indent", `Page ${WORDS[p]}, un autre paragraphe commence et`],
            ];
      if (p === 1) body.push(["indent", "Un paragraphe qui passe la page et"]);
      pages.push(layPage(body, p, p === 1 ? undefined : head));
    }
    const paragraphs = cleanPages(book(pages), { fixHyphenation: true });
    const text = paragraphs.map((p) => p.text).join("\n");
    expect(text).not.toMatch(/UNE VIE|LE DÉPART/);
    expect(paragraphs[0]).toEqual({ text: "Jeanne, ayant fini ses malles, s’approcha de la fenêtre.", page: 1 });
    expect(paragraphs[1]).toEqual({ text: "Un paragraphe qui passe la page et la suite prune continue ici et se termine prune.", page: 1 });
    expect(paragraphs[2]).toEqual({
      text: "Page prune, un autre paragraphe commence et la suite cerise continue ici et se termine cerise.",
      page: 2,
    });
    expect(paragraphs).toHaveLength(9);
  });

  it("removes folios (arabic or roman) and drops chapter headings", () => {
    const pages = [];
    for (let p = 1; p <= 5; p++) {
      const body: Spec[] = [...filler(p, 8)];
      if (p === 3) body.splice(4, 0, ["gap", ""], ["center", "CHAPITRE II"], ["center", "Le départ"], ["gap", ""]);
      if (p === 4) body.splice(4, 0, ["gap", ""], ["center", "III"], ["gap", ""]);
      pages.push(layPage(body, p, undefined, p <= 2 ? `- ${["i", "ii"][p - 1]} -` : String(p)));
    }
    const paragraphs = cleanPages(book(pages), { fixHyphenation: true });
    const texts = paragraphs.map((p) => p.text);
    expect(texts.join(" ")).not.toMatch(/CHAPITRE|Le départ|\bIII\b|- i -|- ii -/);
    for (const t of texts) expect(t).not.toMatch(/^\d+$/);
    expect(texts.every((t) => t.startsWith("Début"))).toBe(true);
    expect(paragraphs).toHaveLength(10);
  });

  it("keeps a number that is prose (a date on its own line) while removing the folio", () => {
    const pages = [1, 2, 3, 4].map((p) =>
      layPage(p === 2 ? [...filler(p, 4), ["indent", "F B"], ["indent", "1807"]] : filler(p, 8), p, undefined, String(p)),
    );
    const texts = cleanPages(book(pages), { fixHyphenation: true }).map((p) => p.text);
    expect(texts).toContain("1807");
    expect(texts.filter((t) => /^\d+$/.test(t))).toEqual(["1807"]);
  });

  it("resolves line-end hyphens from the book's own words, and keeps them raw on request", () => {
    const body: Spec[] = [
      ["indent", "Il mar-"],
      ["flush", "chait vers Saint-"],
      ["flush", "Bernard. Partons-"],
      ["flush", "nous ? dit-"],
      ["flush", "il. Sa sœur mar-"],
      ["last", "chait aussi, comme il marchait hier, vers Saint-Bernard."],
    ];
    const pdf = book([layPage(body, 1)]);
    const [fixed] = cleanPages(pdf, { fixHyphenation: true });
    expect(fixed!.text).toBe(
      "Il marchait vers Saint-Bernard. Partons-nous ? dit-il. Sa sœur marchait aussi, comme il marchait hier, vers Saint-Bernard.",
    );
    const [raw] = cleanPages(pdf, { fixHyphenation: false });
    expect(raw!.text).toBe(
      "Il mar-chait vers Saint-Bernard. Partons-nous ? dit-il. Sa sœur mar-chait aussi, comme il marchait hier, vers Saint-Bernard.",
    );
  });

  it("finds paragraphs by vertical space in books without indents", () => {
    const body = (w: string): Spec[] => [
      ["flush", `Premier paragraphe ${w} sans alinéa qui va jusqu’au bout de la`],
      ["last", `ligne ${w}.`],
      ["gap", ""],
      ["flush", `Second paragraphe ${w}, lui aussi sans alinéa, qui continue`],
      ["last", `encore ${w}.`],
    ];
    const pages = [1, 2, 3].map((p) => layPage(body(WORDS[p]!), p));
    const paragraphs = cleanPages(book(pages), { fixHyphenation: true });
    expect(paragraphs.map((p) => p.text)).toEqual(
      [1, 2, 3].flatMap((p) => [
        `Premier paragraphe ${WORDS[p]} sans alinéa qui va jusqu’au bout de la ligne ${WORDS[p]}.`,
        `Second paragraphe ${WORDS[p]}, lui aussi sans alinéa, qui continue encore ${WORDS[p]}.`,
      ]),
    );
  });
});

describe("line-end hyphens", () => {
  const vocab = new Vocabulary();
  vocab.addLines(["Il marchait vers le bas-fond ; peut-être cela venait-il du quatre-vingt-treize."]);

  it.each([
    ["Il mar-", "chait", false],
    ["vers le bas-", "fond", true],
    ["Saint-", "Bernard", true],
    ["dit-", "il", true],
    ["a-", "t-il", true],
    ["partons-", "nous", true],
    ["peut-", "être", true],
    ["quatre-vingt-", "treize", true],
    ["pied-", "à-terre", true],
    ["vert-", "de-gris", true],
    ["celle-", "là", true],
    ["l’hu-", "midité", false],
    ["aboutit Queen’s-", "street, l’une", true],
    ["Lord's-", "Cricket", true],
    ["ma-", "nière", false],
    ["mot\u00AD", "clé", false],
  ])("%s + %s keeps the hyphen: %s", (before, after, keep) => {
    expect(keepsHyphen(before, after, vocab)).toBe(keep);
  });

  it("joins lines with one space, and never adds one at a hyphen", () => {
    expect(joinLines(["Il mar-", "chait vers", "la mer."], vocab, true)).toBe("Il marchait vers la mer.");
    expect(joinLines(["Il mar-", "chait vers", "la mer."], vocab, false)).toBe("Il mar-chait vers la mer.");
    expect(joinLines(["Il vint --", "Oui."], vocab, true)).toBe("Il vint -- Oui.");
  });
});
