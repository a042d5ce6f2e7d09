import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, type JobSettings } from "../../schema/settings";
import { parseDuration, retryDelayOf } from "../../worker/pipeline/gemini-errors";
import { scanInstruction, systemInstruction } from "../../worker/pipeline/gemini-prompt";

const prompt = (s: Partial<JobSettings>) => systemInstruction({ ...DEFAULT_SETTINGS, ...s });

describe("the system instruction carries every setting", () => {
  it("no length limit: no rewriting", () => {
    expect(prompt({})).toContain("Do not rewrite");
    expect(prompt({})).not.toContain("Length:");
  });

  it("sentence_length_limit asks for grammatical shorter sentences without loss", () => {
    const p = prompt({ sentence_length_limit: 18 });
    expect(p).toContain("more than 18 words");
    expect(p).toContain("at most 18 words each");
    expect(p).toContain("Do not drop information");
    expect(p).not.toContain("Do not rewrite");
  });

  it("ignore_dialogue keeps dialogue out of length rewriting", () => {
    expect(prompt({ sentence_length_limit: 18, ignore_dialogue: true })).toMatch(/Dialogue .* never rewritten or shortened/);
    expect(prompt({ sentence_length_limit: 18 })).not.toMatch(/Dialogue .* never rewritten/);
  });

  it("min_sentence_length joins short sentences inside a paragraph", () => {
    expect(prompt({ min_sentence_length: 4 })).toContain("fewer than 4 words is joined");
    expect(prompt({})).not.toContain("Minimum length");
  });

  it("preserve_formatting and fix_hyphenation each switch their rule", () => {
    expect(prompt({ preserve_formatting: true })).toContain("keep the layout inside a sentence");
    expect(prompt({ preserve_formatting: false })).toContain("as one space");
    expect(prompt({ fix_hyphenation: true })).toContain("is written whole");
    expect(prompt({ fix_hyphenation: false })).toContain("keep every hyphen");
  });

  it("scans get the same rules, and are told to leave out headers and page numbers", () => {
    const p = scanInstruction({ ...DEFAULT_SETTINGS, sentence_length_limit: 12 });
    expect(p).toContain("running headers");
    expect(p).toContain("more than 12 words");
  });
});

describe("RetryInfo", () => {
  it("reads google.protobuf.Duration and rounds up to whole seconds", () => {
    expect(parseDuration("12s")).toBe(12);
    expect(parseDuration("0.250s")).toBe(0.25);
    expect(parseDuration("soon")).toBeNull();
    const body = (retryDelay: string) => ({
      error: { details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay }] },
    });
    expect(retryDelayOf(body("1.2s"))).toBe(2);
    expect(retryDelayOf(body("0s"))).toBe(1);
    expect(retryDelayOf({ error: { details: [] } })).toBeNull();
  });
});
