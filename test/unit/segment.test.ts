import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { segmentSentences } from "../../worker/pipeline/segment";
import { boundaryScore, combine } from "./metrics";

const CORPUS = path.resolve(process.cwd(), "../shared/corpus");

interface GoldParagraph {
  id: string;
  text: string;
  sentences: string[];
}

describe("segmentSentences on the Sequoia gold set", () => {
  const rows: GoldParagraph[] = readFileSync(path.join(CORPUS, "segmentation/ud-french-sequoia.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as GoldParagraph);

  it("reaches boundary F1 ≥ 0.99 (Intl.Segmenter: 0.950)", () => {
    const score = combine(rows.map((r) => boundaryScore(segmentSentences(r.text), r.sentences)));
    console.log(
      `Sequoia boundary F1 ${score.f1.toFixed(4)} (P ${score.precision.toFixed(4)}, R ${score.recall.toFixed(4)}, ${score.reference} sentences)`,
    );
    expect(score.f1).toBeGreaterThanOrEqual(0.99);
  });

  it("returns exact trimmed slices of the input", () => {
    for (const r of rows) {
      const out = segmentSentences(r.text);
      expect(out.join("").replace(/\s+/g, "")).toBe(r.text.replace(/\s+/g, ""));
      for (const s of out) expect(r.text).toContain(s);
    }
  });
});

// Literary cases the gold set does not cover: dialogue, guillemets, incises, titles.
const GOLDEN: [string, string[]][] = [
  ["« Tu viens ? » demanda-t-il. Elle ne répondit pas.", ["« Tu viens ? » demanda-t-il.", "Elle ne répondit pas."]],
  ["Ah ! que c'est beau ! Il se tut.", ["Ah ! que c'est beau !", "Il se tut."]],
  ["M. Dupont et Mme Leroux arrivèrent. MM. Martin les suivaient.", ["M. Dupont et Mme Leroux arrivèrent.", "MM. Martin les suivaient."]],
  ["Disciple enthousiaste de J.-J. Rousseau, il aimait la nature. Il lisait V. Hugo.", ["Disciple enthousiaste de J.-J. Rousseau, il aimait la nature.", "Il lisait V. Hugo."]],
  ["Disciple de J. -J. Rousseau, il avait des tendresses. Voilà.", ["Disciple de J. -J. Rousseau, il avait des tendresses.", "Voilà."]],
  ["Il attendit… Personne ne vint.", ["Il attendit…", "Personne ne vint."]],
  ["Il attendit... puis il partit.", ["Il attendit... puis il partit."]],
  ["Jeanne répondit : « Entre, papa. » Et son père parut.", ["Jeanne répondit : « Entre, papa. »", "Et son père parut."]],
  ["Une voix appela : « Jeannette ! »", ["Une voix appela : « Jeannette ! »"]],
  ["« Oh ! papa, partons, je t'en supplie. Il fera beau. » Elle sourit.", ["« Oh ! papa, partons, je t'en supplie.", "Il fera beau. »", "Elle sourit."]],
  ["— Oui, dit-il. — Non ! cria-t-elle.", ["— Oui, dit-il.", "— Non ! cria-t-elle."]],
  ["-- Mais ta mère n'y consentira jamais. -- Si, je te le promets.", ["-- Mais ta mère n'y consentira jamais.", "-- Si, je te le promets."]],
  ["Il pesait 3.5 kilos, soit 1.000 grammes de plus. C'était beaucoup.", ["Il pesait 3.5 kilos, soit 1.000 grammes de plus.", "C'était beaucoup."]],
  ["Louis XIV régna longtemps. Il mourut en 1715.", ["Louis XIV régna longtemps.", "Il mourut en 1715."]],
  ["Voir l'art. 3 et le chap. II du code. Puis signer.", ["Voir l'art. 3 et le chap. II du code.", "Puis signer."]],
  ["Il avait des pommes, des poires, etc. Il vendait tout.", ["Il avait des pommes, des poires, etc.", "Il vendait tout."]],
  ["Le 15 sept. 1820, ils étaient sept. Le lendemain, six.", ["Le 15 sept. 1820, ils étaient sept.", "Le lendemain, six."]],
  ["Il hésita (était-ce prudent ?) puis entra. La salle était vide.", ["Il hésita (était-ce prudent ?) puis entra.", "La salle était vide."]],
  ["Quoi\u00a0? Vraiment\u202f! Il rit\u00a0; elle aussi.", ["Quoi\u00a0?", "Vraiment\u202f!", "Il rit\u00a0; elle aussi."]],
  ["Le Dr Bernard arriva. St-Malo était loin.", ["Le Dr Bernard arriva.", "St-Malo était loin."]],
  ["« Les autres aussi ont peur ! » avait dit Dole.", ["« Les autres aussi ont peur ! » avait dit Dole."]],
  ["« Ici, Phann, ici !… » cria Briant.", ["« Ici, Phann, ici !… » cria Briant."]],
  ["« Voyez donc ! » Et il partit.", ["« Voyez donc ! »", "Et il partit."]],
  ["Il lut le chapitre IV. Le soir tomba.", ["Il lut le chapitre IV.", "Le soir tomba."]],
  ["Mr. et Mrs. Garnett arrivèrent. Ils étaient las.", ["Mr. et Mrs. Garnett arrivèrent.", "Ils étaient las."]],
  ["«\u00a0Tu viens\u00a0?\u00a0» demanda-t-il. Non.", ["«\u00a0Tu viens\u00a0?\u00a0» demanda-t-il.", "Non."]],
  ["Il écrivait (sic !) Que tout allait bien.", ["Il écrivait (sic !) Que tout allait bien."]],
  ["(Il partit sans rien dire.) Elle resta.", ["(Il partit sans rien dire.)", "Elle resta."]],
];

describe("segmentSentences on literary French", () => {
  it.each(GOLDEN)("%s", (text, expected) => {
    expect(segmentSentences(text)).toEqual(expected);
  });

  it("handles empty and unpunctuated text", () => {
    expect(segmentSentences("")).toEqual([]);
    expect(segmentSentences("   ")).toEqual([]);
    expect(segmentSentences("sans point final")).toEqual(["sans point final"]);
  });
});
