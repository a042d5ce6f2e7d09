import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { JobSettingsSchema } from "../../schema/settings";
import { normalizeChunk, PipelineError, planPages, segmentSentences } from "../../worker/pipeline";
import { MAX_SENTENCE_CHARS } from "../../worker/pipeline/chunk";
import { joinLines, Vocabulary } from "../../worker/pipeline/hyphenation";
import { HOSTILE } from "../fixtures/hostile";

// Inputs that cost far more than their size before their loops and regexes were made linear;
// their times are measured in `npm run bench:hostile`, not asserted here.
const ROOT = path.resolve(import.meta.dirname, "../..");
const plan = (pdf: Parameters<typeof planPages>[0]) => planPages(pdf, { fixHyphenation: true, maxChunkChars: 12_000 });

describe("hostile text layers cost what their size does", () => {
  it("each class at a size the quadratic code took many minutes over comes out right, in a child given a minute", () => {
    // Expected under ~3 s with tsx's start; a minute is a deadline for a hang, not a timing.
    const r = spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(ROOT, "test/fixtures/hostile-run.ts")], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.signal, "killed at the deadline: some class is super-linear again").toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    // A running head of 200,000 dots is still recognised and removed (the trim regex backtracked at every dot).
    expect(out.dot_leaders).toEqual({ paragraphs: expect.any(Number), dotted: 0, first: "Il marchait le long de la mer et regarda" });
    expect(out.dot_leaders.paragraphs).toBeGreaterThan(0);
    // "x.)" repeated: one sentence, whole (each bracket rescanned the sentence so far).
    expect(out.bracket_stops).toEqual({ sentences: 1, whole: true });
    // 100,000 short lines: each of the 100 line-end breaks joined two lines into one word (each
    // line's hyphen test ran a regex over the whole paragraph so far).
    expect(out.short_lines).toEqual({ chars: expect.any(Number), words: 100_000 - 100 + 1, end: " marchait" });
    expect(out.short_lines.chars).toBeGreaterThan(500_000);
    // 60,000 comma-separated words at limit 1: pieces of two words (one word alone is never a
    // piece), every word kept, by both cuts (each cut rescanned to the end; the programme tried every pair).
    expect(out.comma_list).toEqual({ pieces: 30_000, exact: true, plainExact: true });
  });

  it("brackets and soft hyphens behave as before", () => {
    // An aside closes nothing; a sentence in brackets ends.
    expect(segmentSentences("Il rit (un peu.) et partit. (Il revint.) Fin.")).toEqual([
      "Il rit (un peu.) et partit.",
      "(Il revint.)",
      "Fin.",
    ]);
    expect(segmentSentences("Il acheta des fruits (des pommes, des poires, etc.) Il partit.")).toEqual([
      "Il acheta des fruits (des pommes, des poires, etc.)",
      "Il partit.",
    ]);
    const vocab = new Vocabulary();
    vocab.addLines(["marchait"]);
    expect(joinLines(["un mar-", "chait"], vocab, false)).toBe("un mar-chait");
    expect(joinLines(["un mar-", "chait"], vocab, true)).toBe("un marchait");
    expect(joinLines(["un mar\u00AD", "chait"], vocab, false)).toBe("un mar-chait");
    expect(joinLines(["un mar\u00AD", "chait"], vocab, true)).toBe("un marchait");
    expect(joinLines(["Saint-", "Bernard"], vocab, true)).toBe("Saint-Bernard");
  });

  it("text that runs on past MAX_SENTENCE_CHARS without a sentence end ends the job with sentence_too_long", () => {
    const { pdf } = HOSTILE.short_lines!.make(4_000);
    let err: unknown;
    try {
      plan(pdf);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).code).toBe("sentence_too_long");
    expect((err as PipelineError).message).toContain("page 1");
    // Just under the cap the same text is one long paragraph, cut by the engine as usual.
    const under = plan(HOSTILE.short_lines!.make(Math.floor(MAX_SENTENCE_CHARS / 13)).pdf);
    const settings = JobSettingsSchema.parse({ sentence_length_limit: 8 });
    const sentences = under.chunks.flatMap((c) => normalizeChunk(c, settings));
    expect(sentences.length).toBe(1); // no clause boundary: one sentence, whole
  });
});
