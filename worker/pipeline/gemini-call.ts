import { ApiError, GoogleGenAI, type Content, type GenerateContentResponse, type Schema } from "@google/genai";
import { fromHttpError, GeminiError } from "./gemini-errors";

export interface GeminiOptions {
  apiKey: string;
  /** Another endpoint than Google's (a proxy, or the fake server in tests). */
  baseUrl?: string;
  model: string;
  /**
   * Runs before every model request of a chunk (a chunk may take several: halves after
   * MAX_TOKENS, a retry of bad output). It may throw a GeminiError to stop: rate limited,
   * or "cancelled" when the job ended meanwhile.
   */
  beforeCall?: (call: { index: number; estimatedTokens: number }) => Promise<void>;
  /** Per request; a slow answer then counts as "unavailable" and is retried by the queue. */
  timeoutMs?: number;
  /** How many times a chunk may be halved after MAX_TOKENS. */
  maxSplitDepth?: number;
}

export function geminiClient(opts: GeminiOptions): GoogleGenAI {
  return new GoogleGenAI({
    apiKey: opts.apiKey,
    httpOptions: {
      ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
      // The SDK's default (v1) lags behind: response schemas and system instructions are documented on v1beta.
      apiVersion: "v1beta",
      timeout: opts.timeoutMs ?? 120_000,
      // One attempt: retries are the queue's (delays, attempt counts), never a sleep in the Worker.
      retryOptions: { attempts: 1 },
      // A plain fetch: the SDK's Node path adds an undici dispatcher that workerd has no use for.
      fetch: (input, init) => fetch(input, init),
    },
  });
}

/** An answer worth reading: its text, or that it ran out of output tokens. */
export type Answer = { finish: "MAX_TOKENS" } | { finish: "STOP"; text: string } | { finish: "OTHER"; reason: string };

const SAFETY_REASONS = new Set(["SAFETY", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"]);

/** The calls of one chunk: asks the caller's gate first, counts tokens, turns refusals into errors. */
export class Calls {
  tokens = 0;
  private count = 0;

  constructor(
    private readonly ai: GoogleGenAI,
    private readonly opts: GeminiOptions,
  ) {}

  /** One request; `maxOutputTokens` bounds its answer (a runaway answer ends MAX_TOKENS and is cut in halves). */
  async generate(
    contents: Content[],
    systemInstruction: string,
    responseSchema: Schema,
    estimatedTokens: number,
    maxOutputTokens: number,
  ): Promise<Answer> {
    await this.opts.beforeCall?.({ index: this.count, estimatedTokens });
    this.count++;
    let res: GenerateContentResponse;
    try {
      res = await this.ai.models.generateContent({
        model: this.opts.model,
        contents,
        config: {
          systemInstruction,
          responseMimeType: "application/json",
          responseSchema,
          temperature: 0,
          maxOutputTokens,
          // Cutting sentences needs no reasoning; thinking tokens would only cost. Pro cannot turn it off.
          ...(this.opts.model.includes("flash") ? { thinkingConfig: { thinkingBudget: 0 } } : {}),
        },
      });
    } catch (err) {
      throw toGeminiError(err, this.opts.model);
    }
    this.tokens += res.usageMetadata?.totalTokenCount ?? 0;
    const blocked = res.promptFeedback?.blockReason;
    if (blocked) throw new GeminiError("blocked", `Gemini refused this part of the book (prompt blocked: ${blocked}).`);
    const cand = res.candidates?.[0];
    const reason = cand?.finishReason ?? "STOP";
    if (SAFETY_REASONS.has(reason)) throw new GeminiError("safety", `Gemini stopped its answer for safety reasons (${reason}).`);
    if (reason === "RECITATION") {
      throw new GeminiError("recitation", "Gemini stopped its answer because it recited a known text (RECITATION).");
    }
    if (reason === "MAX_TOKENS") return { finish: "MAX_TOKENS" };
    if (reason !== "STOP") return { finish: "OTHER", reason };
    return { finish: "STOP", text: (cand?.content?.parts ?? []).map((p) => (p.thought ? "" : (p.text ?? ""))).join("") };
  }
}

function toGeminiError(err: unknown, model: string): GeminiError {
  if (err instanceof GeminiError) return err;
  if (err instanceof ApiError) return fromHttpError(err.status, err.message, model);
  // No HTTP answer at all: a timeout, a reset connection, DNS.
  const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new GeminiError("unavailable", `Gemini could not be reached (${why}).`);
}
