import type { JobSettings } from "../../schema/settings";
import { Calls, geminiClient, type GeminiOptions } from "./gemini-call";
import { GeminiError } from "./gemini-errors";
import { alignOriginals } from "./gemini-original";
import { paragraphList, RESPONSE_SCHEMA, systemInstruction, userText } from "./gemini-prompt";
import { transcribeScan, type ScanInput } from "./gemini-scan";
import { segmentSentences } from "./segment";
import { geminiOutputLimit, geminiTextTokens } from "./tokens";
import type { Chunk, NormalizeResult, Normalizer, Sentence } from "./types";

export type { GeminiOptions } from "./gemini-call";

/** Flags a result may carry; the text is kept but a reader should check it. */
export const DROPPED_TEXT = "dropped_text";

/** A run of paragraph text sent in one request; a long paragraph may be cut in two pieces. */
interface Piece {
  text: string;
  page: number;
  paragraph: number;
}

type Attempt = { kind: "max_tokens" } | { kind: "ok"; sentences: Sentence[] };

/** An answer read: its sentences (with the book's text where they differ from it), and how many of the book's words came back. */
interface Parsed {
  sentences: Sentence[];
  kept: number;
  total: number;
}

/** Gemini through the official SDK, JSON output with a response schema. */
export class GeminiNormalizer implements Normalizer {
  readonly engine = "gemini" as const;
  readonly model: string;
  private readonly ai: ReturnType<typeof geminiClient>;

  constructor(private readonly opts: GeminiOptions) {
    this.model = opts.model;
    this.ai = geminiClient(opts);
  }

  async normalize(chunk: Chunk, settings: JobSettings): Promise<NormalizeResult> {
    const calls = new Calls(this.ai, this.opts);
    const run = new Run(calls, this.opts, settings);
    const pieces = chunk.paragraphs.map((p, i) => ({ text: p.text, page: p.page, paragraph: chunk.first_paragraph + i }));
    const sentences = await billed(calls, run.pieces(pieces, 0));
    return { sentences, tokens: calls.tokens, ...(run.flags.size ? { flags: [...run.flags] } : {}) };
  }

  /** Scanned pages (no text layer): Gemini reads them and cuts their text into sentences. */
  async transcribe(input: ScanInput, settings: JobSettings, firstParagraph: number): Promise<NormalizeResult> {
    const calls = new Calls(this.ai, this.opts);
    const sentences = await billed(calls, transcribeScan(calls, this.opts, settings, input, firstParagraph));
    return { sentences, tokens: calls.tokens };
  }
}

/**
 * The work of one chunk; when it fails, its error carries the tokens its requests used so far
 * (a refusal, an unusable answer, a retry: each request is paid for, and billed).
 */
async function billed<T>(calls: Calls, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof GeminiError) err.tokens = calls.tokens;
    throw err;
  }
}

/** One chunk's work: halving, retrying bad output, and the flags of its result. */
class Run {
  flags = new Set<string>();
  private readonly system: string;

  constructor(
    private readonly calls: Calls,
    private readonly opts: GeminiOptions,
    private readonly settings: JobSettings,
  ) {
    this.system = systemInstruction(settings);
  }

  /** Sentences of these pieces, in order; halves them while the answer does not fit. */
  async pieces(pieces: Piece[], depth: number): Promise<Sentence[]> {
    const attempt = await this.attempt(pieces);
    if (attempt.kind === "ok") return attempt.sentences;
    const halves = halve(pieces);
    if (!halves || depth >= (this.opts.maxSplitDepth ?? 5)) {
      throw new GeminiError("too_long", "Gemini's answer does not fit its output limit, even for a short part of the text.");
    }
    const first = await this.pieces(halves[0], depth + 1);
    return [...first, ...(await this.pieces(halves[1], depth + 1))];
  }

  /** One request, and one more when the answer is unusable or lost text. */
  private async attempt(pieces: Piece[]): Promise<Attempt> {
    let best: Parsed | null = null;
    let problem = "";
    for (let i = 0; i < 2; i++) {
      const answer = await this.call(pieces);
      if (answer.finish === "MAX_TOKENS") return { kind: "max_tokens" };
      const parsed = answer.finish === "STOP" ? this.parse(answer.text, pieces) : null;
      if (!parsed) {
        problem = answer.finish === "STOP" ? "not JSON of the requested shape" : `finish reason ${answer.reason}`;
        continue;
      }
      if (!best || parsed.kept > best.kept) best = parsed;
      if (!this.dropped(parsed)) return { kind: "ok", sentences: parsed.sentences };
    }
    if (!best) throw new GeminiError("malformed_output", `Gemini's answer could not be used twice in a row (${problem}).`);
    this.flags.add(DROPPED_TEXT);
    return { kind: "ok", sentences: best.sentences };
  }

  /**
   * Far fewer of the book's words came back than went in: text was lost. Counted against
   * the original, not the rewrite: the words of the book found, in order, in the answer, so
   * a rewrite that repeats subjects or adds verbs cannot hide a lost clause. A rewrite for
   * length legitimately replaces some words (a relative pronoun by a subject, say).
   */
  private dropped(p: Parsed): boolean {
    const keep = this.settings.sentence_length_limit > 0 ? 0.6 : 0.85;
    return p.total > 0 && p.kept < p.total * keep;
  }

  private call(pieces: Piece[]) {
    const chars = pieces.reduce((n, p) => n + p.text.length, 0);
    const text = userText(pieces.map((p, index) => ({ index, text: p.text })));
    return this.calls.generate(
      [{ role: "user", parts: [{ text }] }],
      this.system,
      RESPONSE_SCHEMA,
      geminiTextTokens(chars, 1),
      geminiOutputLimit(chars),
    );
  }

  /** The answer as sentences with their page, paragraph and original, or null when it is not of the asked shape. */
  private parse(text: string, pieces: Piece[]): Parsed | null {
    const list = paragraphList(text);
    if (!list) return null;
    const byPiece: string[][] = pieces.map(() => []);
    let last = -1;
    for (const entry of list) {
      const i = entry?.index;
      if (typeof i !== "number" || !Number.isInteger(i) || i < last || !byPiece[i]) return null;
      if (!Array.isArray(entry.sentences) || !entry.sentences.every((s) => typeof s === "string")) return null;
      last = i;
      byPiece[i]!.push(...(entry.sentences as string[]));
    }
    const clean = (raw: string) => (this.settings.preserve_formatting ? raw.trim() : raw.replace(/\s+/gu, " ").trim());
    const out: Sentence[] = [];
    let kept = 0;
    let total = 0;
    byPiece.forEach((raws, i) => {
      const p = pieces[i]!;
      const texts = raws.map(clean).filter(Boolean);
      const aligned = alignOriginals(p.text, texts, clean);
      kept += aligned.kept;
      total += aligned.total;
      texts.forEach((t, k) => {
        const original = aligned.originals[k];
        out.push({ text: t, page: p.page, paragraph: p.paragraph, ...(original !== undefined ? { original } : {}) });
      });
    });
    return { sentences: out, kept, total };
  }
}

/** Two halves of about equal text, or null when the text is a single sentence. */
function halve(pieces: Piece[]): [Piece[], Piece[]] | null {
  if (pieces.length === 1) {
    const p = pieces[0]!;
    const sentences = segmentSentences(p.text);
    if (sentences.length < 2) return null;
    const mid = Math.ceil(sentences.length / 2);
    return [[{ ...p, text: sentences.slice(0, mid).join(" ") }], [{ ...p, text: sentences.slice(mid).join(" ") }]];
  }
  const total = pieces.reduce((n, p) => n + p.text.length, 0);
  let acc = 0;
  let cut = 1;
  for (; cut < pieces.length - 1; cut++) {
    acc += pieces[cut - 1]!.text.length;
    if (acc >= total / 2) break;
  }
  return [pieces.slice(0, cut), pieces.slice(cut)];
}
