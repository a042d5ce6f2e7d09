import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { cli, segmentProcess } from "./run";

const lines = (stdout: string) =>
  stdout
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as string[]);

describe("cli segment", () => {
  it("writes one JSON array of sentences per input line; empty lines give []", async () => {
    const input = [
      "Jeanne répondit : « Entre, papa. » Et son père parut.",
      "",
      "M. Dupont arriva. Il pesait 3.5 kilos ! Vraiment ?",
      "   ",
      "sans point final",
    ].join("\n");
    const run = await cli(["segment"], input);
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual([
      ["Jeanne répondit : « Entre, papa. »", "Et son père parut."],
      [],
      ["M. Dupont arriva.", "Il pesait 3.5 kilos !", "Vraiment ?"],
      [],
      ["sans point final"],
    ]);
  });

  it("applies no length limit, accepts CRLF and a BOM, empty input gives nothing", async () => {
    const long = `${"un mot ".repeat(300)}fin. Deux.`;
    const run = await cli(["segment"], `\uFEFF${long}\r\nOui. Non.\r\n`);
    expect(lines(run.stdout)).toEqual([
      [`${"un mot ".repeat(300)}fin.`, "Deux."],
      ["Oui.", "Non."],
    ]);
    expect((await cli(["segment"], "")).stdout).toBe("");
  });

  it("handles a big input: 50,000 paragraphs (≈ 6 MB)", async () => {
    const para = "Le ciel, bas et chargé d’eau, semblait crevé. « Tu viens ? » demanda-t-il. Elle ne répondit pas.";
    const input = `${Array.from({ length: 50_000 }, (_, i) => `${para} N° ${i}.`).join("\n")}\n`;
    const run = await cli(["segment"], input);
    expect(run.code).toBe(0);
    const out = run.stdout.split("\n");
    expect(out.pop()).toBe("");
    expect(out).toHaveLength(50_000);
    expect(JSON.parse(out[49_999]!)).toEqual([
      "Le ciel, bas et chargé d’eau, semblait crevé.",
      "« Tu viens ? » demanda-t-il.",
      "Elle ne répondit pas.",
      "N° 49999.",
    ]);
  });

  it("streams: answers a line before stdin is closed", async () => {
    const child = segmentProcess();
    child.stdout.setEncoding("utf8");
    child.stdin.write("Un. Deux.\n");
    const [first] = (await once(child.stdout, "data")) as [string];
    expect(first).toBe('["Un.","Deux."]\n');
    child.stdin.end("Trois.\n");
    const [code] = (await once(child, "close")) as [number];
    expect(code).toBe(0);
  });
});
