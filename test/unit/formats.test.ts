import { describe, expect, it } from "vitest";
import { toTable, toTxt } from "../../worker/pipeline/formats";

const rows = [
  { text: "Il pleuvait.", paragraph: 0 },
  { text: "« Viens », dit-elle,\nen riant.", paragraph: 0 },
  { text: "Le lendemain\tmatin.", paragraph: 1 },
];

describe("export formats", () => {
  it("txt: one sentence per line, blank lines between paragraphs when asked", () => {
    expect(toTxt(rows)).toBe("Il pleuvait.\n« Viens », dit-elle, en riant.\nLe lendemain\tmatin.\n");
    expect(toTxt(rows, true)).toBe("Il pleuvait.\n« Viens », dit-elle, en riant.\n\nLe lendemain\tmatin.\n");
    expect(toTxt([])).toBe("");
  });

  it("csv quotes what needs quoting; tsv flattens tabs and breaks", () => {
    const table = rows.map((r, i) => [i + 1, r.text]);
    expect(toTable(["index", "sentence"], table, "csv", "\r\n")).toBe(
      'index,sentence\r\n1,Il pleuvait.\r\n2,"« Viens », dit-elle,\nen riant."\r\n3,Le lendemain\tmatin.\r\n',
    );
    expect(toTable(["index", "sentence"], table, "tsv", "\n")).toBe(
      "index\tsentence\n1\tIl pleuvait.\n2\t« Viens », dit-elle, en riant.\n3\tLe lendemain matin.\n",
    );
  });
});
