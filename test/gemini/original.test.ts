import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, type JobSettings } from "../../schema/settings";
import { DROPPED_TEXT, GeminiNormalizer } from "../../worker/pipeline/gemini";
import { segmentSentences } from "../../worker/pipeline/segment";
import type { Chunk } from "../../worker/pipeline/types";
import { rewriteLong } from "../fake-gemini/wire";
import { useFakeGemini } from "./fake";

// The book's text beside Gemini's rewrite, through the real SDK against the fake server
// (which rewrites long sentences the way the model is asked to).

const fake = useFakeGemini();

const LONG =
  "Jeanne, ayant fini ses malles, s’approcha de la fenêtre, mais la pluie ne cessait pas; l’averse, toute la nuit, avait sonné contre les carreaux et les toits.";
const chunk: Chunk = {
  index: 0,
  first_paragraph: 10,
  first_page: 1,
  last_page: 2,
  paragraphs: [
    { text: `${LONG} Il pleuvait.`, page: 1 },
    { text: "« Vous viendrez, n’est-ce pas, et vous resterez avec nous tout l’été, jusqu’aux vendanges ? » dit la baronne.", page: 1 },
    { text: "Le soir tombait. Personne ne parla plus de tout le repas.", page: 2 },
  ],
};

const gemini = () => new GeminiNormalizer({ apiKey: "test-key", baseUrl: fake.url, model: "gemini-2.5-flash" });
const settings = (over: Partial<JobSettings>): JobSettings => ({ ...DEFAULT_SETTINGS, ...over });

describe("the original beside a Gemini rewrite", () => {
  it("with a length limit, each rewritten sentence carries the book's sentence; copied ones carry none", async () => {
    const r = await gemini().normalize(chunk, settings({ sentence_length_limit: 10 }));
    const pieces = rewriteLong(LONG, 10);
    expect(pieces.length).toBeGreaterThan(2);
    expect(r.sentences.slice(0, pieces.length)).toEqual(pieces.map((text) => ({ text, page: 1, paragraph: 10, original: LONG })));
    expect(r.sentences[pieces.length]).toEqual({ text: "Il pleuvait.", page: 1, paragraph: 10 });
    // The dialogue was rewritten too (no ignore_dialogue): it carries its own original.
    const dialogue = r.sentences.filter((s) => s.paragraph === 11);
    expect(dialogue.length).toBeGreaterThan(1);
    for (const s of dialogue) expect(s.original).toBe(chunk.paragraphs[1]!.text);
    expect(r.sentences.filter((s) => s.paragraph === 12)).toEqual(
      segmentSentences(chunk.paragraphs[2]!.text).map((text) => ({ text, page: 2, paragraph: 12 })),
    );
    expect(r.flags).toBeUndefined();
  });

  it("dialogue left whole (ignore_dialogue) has no original", async () => {
    const r = await gemini().normalize(chunk, settings({ sentence_length_limit: 10, ignore_dialogue: true }));
    expect(r.sentences.filter((s) => s.paragraph === 11)).toEqual([{ text: chunk.paragraphs[1]!.text, page: 1, paragraph: 11 }]);
    expect(r.sentences.filter((s) => s.original !== undefined).length).toBe(rewriteLong(LONG, 10).length);
  });

  it("without a limit nothing is rewritten: no sentence carries an original", async () => {
    const r = await gemini().normalize(chunk, DEFAULT_SETTINGS);
    expect(r.sentences.every((s) => s.original === undefined)).toBe(true);
    expect(r.sentences.map((s) => s.text)).toEqual(chunk.paragraphs.flatMap((p) => segmentSentences(p.text)));
  });

  it("joining short sentences without changing them is no rewrite", async () => {
    const r = await gemini().normalize(chunk, settings({ min_sentence_length: 4 }));
    expect(r.sentences.find((s) => s.text === `${LONG} Il pleuvait.`)).toEqual({ text: `${LONG} Il pleuvait.`, page: 1, paragraph: 10 });
    expect(r.sentences.every((s) => s.original === undefined)).toBe(true);
  });

  it("the original survives the halving of a chunk after MAX_TOKENS", async () => {
    fake.control({ maxTokensOverChars: 200 });
    const r = await gemini().normalize(chunk, settings({ sentence_length_limit: 10 }));
    expect(fake.stats().by_outcome.max_tokens).toBeGreaterThan(0);
    expect(r.sentences.filter((s) => s.original === LONG).map((s) => s.text)).toEqual(rewriteLong(LONG, 10));
  });
});

describe("the dropped-text check compares the answer with the book's text, not with the rewrite", () => {
  it("a rewrite that keeps every word of the book is not flagged", async () => {
    const r = await gemini().normalize(chunk, settings({ sentence_length_limit: 6 }));
    expect(r.sentences.filter((s) => s.original !== undefined).length).toBeGreaterThan(5);
    expect(r.flags).toBeUndefined();
    expect(fake.stats().total).toBe(1);
  });

  it("an answer as long as the book but in other words is retried, then flagged", async () => {
    // The same number of words (a word count sees nothing wrong), most of them not the book's.
    fake.control({ always: "replace" });
    const r = await gemini().normalize(chunk, settings({ sentence_length_limit: 10 }));
    const words = (s: string) => s.match(/[\p{L}\p{N}]+/gu)?.length ?? 0;
    const book = chunk.paragraphs.reduce((n, p) => n + words(p.text), 0);
    expect(r.sentences.reduce((n, s) => n + words(s.text), 0)).toBe(book);
    expect(r.flags).toEqual([DROPPED_TEXT]);
    expect(fake.stats().total).toBe(2);
  });

  it("the same loss without a length limit is flagged too", async () => {
    fake.control({ sequence: ["replace", "replace"] });
    const r = await gemini().normalize(chunk, DEFAULT_SETTINGS);
    expect(r.flags).toEqual([DROPPED_TEXT]);
  });

  it("a second, faithful answer is taken unflagged", async () => {
    fake.control({ sequence: ["replace"] });
    const r = await gemini().normalize(chunk, settings({ sentence_length_limit: 10 }));
    expect(r.flags).toBeUndefined();
    expect(r.sentences.some((s) => s.text.includes("chose"))).toBe(false);
    expect(fake.stats().total).toBe(2);
  });
});
