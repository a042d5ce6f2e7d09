import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, type JobSettings } from "../../schema/settings";
import { DROPPED_TEXT, GeminiNormalizer, type GeminiOptions } from "../../worker/pipeline/gemini";
import { GeminiError } from "../../worker/pipeline/gemini-errors";
import { geminiOutputLimit } from "../../worker/pipeline/tokens";
import { normalizeChunk } from "../../worker/pipeline/local";
import type { Chunk } from "../../worker/pipeline/types";
import { useFakeGemini } from "./fake";

// GeminiNormalizer through the real @google/genai SDK against the fake server.

const fake = useFakeGemini();

const chunk: Chunk = {
  index: 3,
  first_paragraph: 40,
  first_page: 7,
  last_page: 8,
  paragraphs: [
    { text: "« Tu viens ? » demanda-t-il. M. Dupont sourit. Il faisait beau ce jour-là.", page: 7 },
    { text: "— Oui, répondit Briant. Les enfants couraient sur la plage, et le schooner dormait.", page: 7 },
    { text: "Doniphan se tut. Le soir tombait sur l'île… Personne ne parla plus.", page: 8 },
    { text: "Gordon, le plus sage, prit la parole. Il fallait un chef.", page: 8 },
  ],
};
const expected = normalizeChunk(chunk, DEFAULT_SETTINGS);

const gemini = (o: Partial<GeminiOptions> = {}) =>
  new GeminiNormalizer({ apiKey: "test-key", baseUrl: fake.url, model: "gemini-2.5-flash", ...o });

async function failure(p: Promise<unknown>): Promise<GeminiError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GeminiError);
  return err as GeminiError;
}

describe("GeminiNormalizer against the fake", () => {
  it("sends the SDK's request to /v1beta and maps sentences to their page and paragraph", async () => {
    const settings: JobSettings = { ...DEFAULT_SETTINGS, sentence_length_limit: 12, min_sentence_length: 3, ignore_dialogue: true };
    const r = await gemini().normalize(chunk, settings);
    expect(r.sentences).toEqual(expected);
    expect(r.tokens).toBeGreaterThan(0);
    expect(r.flags).toBeUndefined();
    const st = fake.stats();
    expect(st.total).toBe(1);
    expect(st.by_version).toEqual({ v1beta: 1 });
    const last = st.last_request!;
    expect(last.model).toBe("gemini-2.5-flash");
    expect(last.headers["x-goog-api-key"]).toBe("test-key");
    const body = last.body as any;
    expect(body.generationConfig.responseMimeType).toBe("application/json");
    expect(body.generationConfig.responseSchema.required).toEqual(["paragraphs"]);
    const system: string = body.systemInstruction.parts[0].text;
    expect(system).toContain("more than 12 words");
    expect(system).toContain("fewer than 3 words");
    expect(system).toContain("Dialogue");
    expect(system).toContain("impor- tant");
  });

  it("uses the model of the settings", async () => {
    await gemini({ model: "gemini-2.5-pro" }).normalize(chunk, DEFAULT_SETTINGS);
    expect(fake.stats().by_model).toEqual({ "gemini-2.5-pro": 1 });
  });

  it("429 is retryable after the server's RetryInfo delay, with no retry inside the SDK", async () => {
    fake.control({ sequence: ["429"], retryDelay: "12s" });
    const e = await failure(gemini().normalize(chunk, DEFAULT_SETTINGS));
    expect(e).toMatchObject({ code: "rate_limited", retryable: true, retryAfterSeconds: 12, status: 429 });
    expect(fake.stats().total).toBe(1);
  });

  it("429 without RetryInfo leaves the delay to the caller's backoff", async () => {
    fake.control({ sequence: ["429"], retryDelay: null });
    const e = await failure(gemini().normalize(chunk, DEFAULT_SETTINGS));
    expect(e).toMatchObject({ code: "rate_limited", retryable: true, retryAfterSeconds: null });
  });

  it.each(["500", "503", "504"] as const)("%s is retryable", async (status) => {
    fake.control({ sequence: [status] });
    const e = await failure(gemini().normalize(chunk, DEFAULT_SETTINGS));
    expect(e).toMatchObject({ code: "unavailable", retryable: true, status: Number(status) });
    expect(fake.stats().total).toBe(1);
  });

  it.each([
    ["400", "bad_request", /API key not valid/],
    ["403", "forbidden", /refused the API key/],
    ["404", "model_not_found", /gemini-2.5-flash.*not found/],
  ] as const)("%s is permanent and names the cause", async (status, code, message) => {
    fake.control({ sequence: [status] });
    const e = await failure(gemini().normalize(chunk, DEFAULT_SETTINGS));
    expect(e).toMatchObject({ code, retryable: false, status: Number(status) });
    expect(e.message).toMatch(message);
  });

  it("an unreachable server is retryable", async () => {
    const e = await failure(gemini({ baseUrl: "http://127.0.0.1:9" }).normalize(chunk, DEFAULT_SETTINGS));
    expect(e).toMatchObject({ code: "unavailable", retryable: true });
  });

  it("MAX_TOKENS splits the chunk in halves, recursively, and keeps the order", async () => {
    // Over 60 characters is "too long": three paragraphs must be cut down to their sentences.
    fake.control({ maxTokensOverChars: 60 });
    const r = await gemini().normalize(chunk, DEFAULT_SETTINGS);
    expect(r.sentences).toEqual(expected);
    const st = fake.stats();
    expect(st.by_outcome.max_tokens).toBeGreaterThan(2);
    expect(r.tokens).toBeGreaterThan(0);
  });

  it("MAX_TOKENS on a single sentence, or past the depth bound, is permanent", async () => {
    fake.control({ always: "max_tokens" });
    const e = await failure(gemini({ maxSplitDepth: 2 }).normalize(chunk, DEFAULT_SETTINGS));
    expect(e).toMatchObject({ code: "too_long", retryable: false });
    expect(fake.stats().total).toBe(3); // depth 0, 1, then 2 gives up at once
  });

  it("stops between halves when the caller says the job is cancelled", async () => {
    fake.control({ always: "max_tokens" });
    const calls: number[] = [];
    const e = await failure(
      gemini({
        beforeCall: async ({ index }) => {
          calls.push(index);
          if (index > 0) throw new GeminiError("cancelled", "job cancelled");
        },
      }).normalize(chunk, DEFAULT_SETTINGS),
    );
    expect(e.code).toBe("cancelled");
    expect(calls).toEqual([0, 1]);
    expect(fake.stats().total).toBe(1);
  });

  it.each([
    ["safety", "safety", /SAFETY/],
    ["recitation", "recitation", /RECITATION/],
    ["blocked", "blocked", /prompt blocked: SAFETY/],
  ] as const)("%s is permanent with its reason", async (outcome, code, message) => {
    fake.control({ sequence: [outcome] });
    const e = await failure(gemini().normalize(chunk, DEFAULT_SETTINGS));
    expect(e).toMatchObject({ code, retryable: false });
    expect(e.message).toMatch(message);
    expect(fake.stats().total).toBe(1);
    // The refused request was paid for: its usageMetadata tokens ride on the error, to be billed.
    expect(e.tokens).toBeGreaterThan(100);
  });

  it("output that is not JSON of the schema is retried once", async () => {
    fake.control({ sequence: ["malformed"] });
    const r = await gemini().normalize(chunk, DEFAULT_SETTINGS);
    expect(r.sentences).toEqual(expected);
    expect(fake.stats().total).toBe(2);
  });

  it("output that is not JSON twice in a row is permanent", async () => {
    fake.control({ sequence: ["malformed", "malformed"] });
    const e = await failure(gemini().normalize(chunk, DEFAULT_SETTINGS));
    expect(e).toMatchObject({ code: "malformed_output", retryable: false });
    expect(fake.stats().total).toBe(2);
    // Both unusable answers are billed: more than one good answer costs.
    const one = (await gemini().normalize(chunk, DEFAULT_SETTINGS)).tokens;
    expect(e.tokens).toBeGreaterThan(one * 1.5);
  });

  it("a retry after an unusable answer bills both requests", async () => {
    const once = (await gemini().normalize(chunk, DEFAULT_SETTINGS)).tokens;
    fake.control({ sequence: ["malformed"] });
    const twice = (await gemini().normalize(chunk, DEFAULT_SETTINGS)).tokens;
    expect(twice).toBeGreaterThan(once * 1.5);
  });

  it("asks for no more output than the chunk needs, within the model's limit", async () => {
    await gemini().normalize(chunk, DEFAULT_SETTINGS);
    const asked = (fake.stats().last_request!.body as any).generationConfig.maxOutputTokens;
    const chars = chunk.paragraphs.reduce((n, p) => n + p.text.length, 0);
    expect(asked).toBe(geminiOutputLimit(chars));
    expect(asked).toBeLessThan(2_000);
    // A much longer chunk asks for more, never past the model's own limit.
    expect(geminiOutputLimit(12_000)).toBeGreaterThan(asked);
    expect(geminiOutputLimit(10_000_000)).toBe(65_536);
  });

  it("dropped text is retried; the full answer is taken unflagged", async () => {
    fake.control({ sequence: ["drop"] });
    const r = await gemini().normalize(chunk, DEFAULT_SETTINGS);
    expect(r.sentences).toEqual(expected);
    expect(r.flags).toBeUndefined();
    expect(fake.stats().total).toBe(2);
  });

  it("dropped text twice is accepted but flagged", async () => {
    fake.control({ always: "drop" });
    const r = await gemini().normalize(chunk, DEFAULT_SETTINGS);
    expect(r.flags).toEqual([DROPPED_TEXT]);
    expect(r.sentences.length).toBeGreaterThan(0);
    expect(r.sentences.length).toBeLessThan(expected.length);
    expect(fake.stats().total).toBe(2);
  });

  it("asks the caller before every call, with a token estimate", async () => {
    fake.control({ sequence: ["malformed"] });
    const seen: Array<{ index: number; estimatedTokens: number }> = [];
    await gemini({ beforeCall: async (c) => void seen.push(c) }).normalize(chunk, DEFAULT_SETTINGS);
    expect(seen.map((c) => c.index)).toEqual([0, 1]);
    expect(seen[0]!.estimatedTokens).toBeGreaterThan(100);
  });
});
