import { once } from "node:events";
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "./run";

type Out = Array<{ text: string; lemma: string; pos: string }>;
const lines = (stdout: string) =>
  stdout
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as Out);

describe("cli lemmatize", () => {
  it("writes one JSON array of {text, lemma, pos} per input line; empty lines give []", async () => {
    const run = await cli(["lemmatize"], "Il allait au marché.\n\nLes yeux de Jeanne\r\nsans fin");
    expect(run.code).toBe(0);
    const out = lines(run.stdout);
    expect(out).toHaveLength(4);
    expect(out[0]).toEqual([
      { text: "Il", lemma: "lui", pos: "PRON" },
      { text: "allait", lemma: "aller", pos: "VERB" },
      { text: "au", lemma: "à", pos: "ADP" },
      { text: "au", lemma: "le", pos: "DET" },
      { text: "marché", lemma: "marché", pos: "NOUN" },
      { text: ".", lemma: ".", pos: "PUNCT" },
    ]);
    // Exactly these three keys, in this order.
    expect(run.stdout.split("\n")[0]!.startsWith('[{"text":"Il","lemma":"lui","pos":"PRON"},')).toBe(true);
    expect(out[1]).toEqual([]);
    expect(out[2]!.map((t) => t.lemma)).toEqual(["le", "œil", "de", "Jeanne"]);
    expect(out[3]!.map((t) => t.text)).toEqual(["sans", "fin"]);
  });

  it("refuses arguments", async () => {
    const run = await cli(["lemmatize", "book.txt"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/lemmatize takes no arguments/);
  });

  it("handles a big input quickly: 20,000 lines", async () => {
    const line = "« Tu viens ? » demanda-t-il, et elle ne répondit pas à l’homme du bateau.";
    const run = await cli(["lemmatize"], `${Array.from({ length: 20_000 }, () => line).join("\n")}\n`);
    expect(run.code).toBe(0);
    const out = run.stdout.split("\n");
    expect(out.pop()).toBe("");
    expect(out).toHaveLength(20_000);
    expect(out[19_999]).toBe(out[0]);
  });

  it("streams: answers a line before stdin is closed", async () => {
    const child = spawn(process.execPath, [path.join(process.cwd(), "node_modules/tsx/dist/cli.mjs"), "cli/main.ts", "lemmatize"], {
      cwd: process.cwd(),
    });
    child.stdout.setEncoding("utf8");
    child.stdin.write("Il pleut.\n");
    const [first] = (await once(child.stdout, "data")) as [string];
    expect(first).toBe(
      '[{"text":"Il","lemma":"lui","pos":"PRON"},{"text":"pleut","lemma":"pleuvoir","pos":"VERB"},{"text":".","lemma":".","pos":"PUNCT"}]\n',
    );
    child.stdin.end("Non.\n");
    const [code] = (await once(child, "close")) as [number];
    expect(code).toBe(0);
  });
});
