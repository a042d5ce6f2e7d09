import type { ServerResponse } from "node:http";
import { PDFDocument } from "pdf-lib";
import { segmentSentences } from "../../worker/pipeline/segment";
import { isDialogue, mergeShort, splitLongSentence } from "../../worker/pipeline/split";
import type { Outcome } from "./server";

// What the fake "model" answers, in the Gemini API's JSON: correct answers built from the
// request, and each failure the way the real API shows it.

export interface GenerateRequest {
  contents?: Array<{ role?: string; parts?: Array<{ text?: string; inlineData?: { mimeType?: string; data?: string } }> }>;
  systemInstruction?: { parts?: Array<{ text?: string }> };
  generationConfig?: { maxOutputTokens?: number };
}

export interface Para {
  index: number;
  text: string;
}

/** The chunk the normalizer sends: JSON {"paragraphs": [{index, text}]} in the last user turn. */
export function paragraphsOf(req: GenerateRequest): Para[] {
  const user = [...(req.contents ?? [])].reverse().find((c) => (c.role ?? "user") === "user");
  const text = (user?.parts ?? []).map((p) => p.text ?? "").join("");
  try {
    const data = JSON.parse(text.slice(text.indexOf("{"))) as { paragraphs?: Para[] };
    return Array.isArray(data.paragraphs) ? data.paragraphs.filter((p) => typeof p?.text === "string") : [];
  } catch {
    return text.trim() ? [{ index: 0, text }] : [];
  }
}

/** A scan request: a PDF of pages and JSON {first_page, last_page} beside it. */
export async function scanOf(req: GenerateRequest): Promise<{ first_page: number; pages: number } | null> {
  const parts = (req.contents ?? []).flatMap((c) => c.parts ?? []);
  const pdf = parts.find((p) => p.inlineData?.mimeType === "application/pdf")?.inlineData?.data;
  if (!pdf) return null;
  const doc = await PDFDocument.load(Buffer.from(pdf, "base64"));
  let first = 1;
  for (const p of parts) {
    try {
      first = (JSON.parse(p.text ?? "") as { first_page?: number }).first_page ?? first;
    } catch {
      // not the JSON part
    }
  }
  return { first_page: first, pages: doc.getPageCount() };
}

/** The "reading" of scanned pages: a known paragraph of two sentences per page, so results are checkable. */
export function scanPageSentences(page: number): string[] {
  return [`Ceci est la page ${page} du livre.`, `Elle a deux phrases.`];
}

export function readScan(scan: { first_page: number; pages: number }, drop: boolean) {
  const pages = Array.from({ length: scan.pages }, (_, i) => scan.first_page + i);
  const kept = drop ? pages.slice(0, Math.max(1, Math.floor(pages.length * 0.4))) : pages;
  return { paragraphs: kept.map((page) => ({ page, sentences: scanPageSentences(page) })) };
}

const tokensOf = (chars: number) => Math.ceil(chars / 4);

export function answer(
  res: ServerResponse,
  outcome: Outcome,
  model: string,
  version: string,
  request: GenerateRequest,
  output: object,
  retryDelay: string | null,
  /** Tokens of the request's media, counted as Google does (258 a PDF page), not as base64. */
  mediaTokens = 0,
) {
  switch (outcome) {
    case "429":
      return googleError(res, 429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing details.", [
        {
          "@type": "type.googleapis.com/google.rpc.QuotaFailure",
          violations: [
            {
              quotaMetric: "generativelanguage.googleapis.com/generate_content_requests",
              quotaId: "GenerateRequestsPerMinutePerProjectPerModel",
            },
          ],
        },
        ...(retryDelay ? [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay }] : []),
      ]);
    case "500":
      return googleError(
        res,
        500,
        "INTERNAL",
        "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
      );
    case "503":
      return googleError(res, 503, "UNAVAILABLE", "The model is overloaded. Please try again later.");
    case "504":
      return googleError(res, 504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.");
    case "400":
      return googleError(res, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
        { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com" },
      ]);
    case "403":
      return googleError(
        res,
        403,
        "PERMISSION_DENIED",
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      );
    case "404":
      return googleError(
        res,
        404,
        "NOT_FOUND",
        `models/${model} is not found for API version ${version}, or is not supported for generateContent.`,
      );
  }
  // The request's text as JSON at 4 characters a token; its media (a scan's pages) as Google counts them.
  const withoutMedia = JSON.stringify(request, (k, v) => (k === "data" && typeof v === "string" ? "" : v));
  const promptChars = withoutMedia.length + mediaTokens * 4;
  const full = JSON.stringify(output);
  const usage = (out: number) => ({
    promptTokenCount: tokensOf(promptChars),
    candidatesTokenCount: tokensOf(out),
    totalTokenCount: tokensOf(promptChars) + tokensOf(out),
  });
  const candidate = (text: string | null, finishReason: string, extra: object = {}) => ({
    candidates: [{ ...(text === null ? {} : { content: { parts: [{ text }], role: "model" } }), finishReason, index: 0, ...extra }],
    usageMetadata: usage(text?.length ?? 0),
    modelVersion: model,
    responseId: Math.random().toString(36).slice(2),
  });
  const half = full.slice(0, Math.floor(full.length / 2));
  // The model stops at the request's maxOutputTokens, as the real one does: the answer cut there.
  const limit = request.generationConfig?.maxOutputTokens;
  if (limit && (outcome === "ok" || outcome === "drop" || outcome === "replace") && tokensOf(full.length) > limit) {
    return json(res, 200, candidate(full.slice(0, limit * 4), "MAX_TOKENS"));
  }
  const ratings = [{ category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "HIGH", blocked: true }];
  switch (outcome) {
    case "max_tokens":
      return json(res, 200, candidate(half, "MAX_TOKENS"));
    case "safety":
      return json(res, 200, candidate(null, "SAFETY", { safetyRatings: ratings }));
    case "recitation":
      return json(
        res,
        200,
        candidate(half, "RECITATION", {
          citationMetadata: { citationSources: [{ startIndex: 0, endIndex: 40, uri: "https://example.org/book" }] },
        }),
      );
    case "blocked":
      return json(res, 200, {
        promptFeedback: { blockReason: "SAFETY", safetyRatings: ratings },
        usageMetadata: usage(0),
        modelVersion: model,
      });
    case "malformed":
      return json(res, 200, candidate(`Voici les phrases : ${half}`, "STOP"));
    default:
      return json(res, 200, candidate(full, "STOP"));
  }
}

/** The rules of the system instruction the fake obeys (see worker/pipeline/gemini-prompt.ts). */
export interface Rules {
  /** Words; longer sentences are rewritten as shorter ones (0: copied). */
  limit: number;
  /** Words; shorter sentences are joined to a neighbour (0: kept). */
  min: number;
  /** Dialogue is never rewritten for length. */
  keepDialogue: boolean;
}

export function rulesOf(req: GenerateRequest): Rules {
  const system = (req.systemInstruction?.parts ?? []).map((p) => p.text ?? "").join("\n");
  const limit = /a sentence of more than (\d+) words must be rewritten/.exec(system);
  const min = /a sentence of fewer than (\d+) words is joined/.exec(system);
  return {
    limit: limit ? Number(limit[1]) : 0,
    min: min ? Number(min[1]) : 0,
    keepDialogue: /Dialogue .* never rewritten/.test(system),
  };
}

/**
 * A rewrite for length the way the model does one: the sentence cut at clause boundaries
 * (`splitLongSentence`), each piece made a sentence of its own (capital first letter, a
 * final full stop in place of a trailing comma, semicolon or colon). Every word is kept,
 * but the text differs from the book's, as a real rewrite does.
 */
export function rewriteLong(sentence: string, limit: number): string[] {
  const pieces = splitLongSentence(sentence, limit);
  if (pieces.length < 2) return pieces;
  return pieces.map((p) => {
    const body = p.replace(/[\s,;:–—-]+$/u, "");
    const ended = /[.!?…»]$/u.test(body) ? body : `${body}.`;
    return ended.replace(/^(\P{L}*)(\p{L})/u, (_, lead: string, first: string) => lead + first.toUpperCase());
  });
}

/** How an answer loses text: `drop` leaves out sentences, `replace` puts other words in their place. */
export type Loss = "drop" | "replace" | null;

/**
 * The "model": each paragraph cut by the local segmenter, long sentences rewritten and short
 * ones joined as the system instruction asks. `drop` loses the later ~60% of the text;
 * `replace` keeps its sentences but writes other words in them (as many as there were), a
 * loss that counting words cannot see.
 */
export function segment(paragraphs: Para[], loss: Loss, rules: Rules = { limit: 0, min: 0, keepDialogue: false }) {
  const total = paragraphs.reduce((n, p) => n + p.text.length, 0);
  let seen = 0;
  return paragraphs.map((p) => {
    const sentences: string[] = [];
    for (const s of segmentSentences(p.text)) {
      if (rules.limit > 0 && !(rules.keepDialogue && isDialogue(s))) sentences.push(...rewriteLong(s, rules.limit));
      else sentences.push(s);
    }
    const out: string[] = [];
    for (const s of mergeShort(sentences, rules.min)) {
      seen += s.length;
      const early = seen <= total * 0.4 || seen === s.length;
      if (loss === "drop" && !early) continue;
      out.push(loss === "replace" && !early ? s.replace(/[\p{L}\p{N}]+/gu, "chose") : s);
    }
    return { index: p.index, sentences: out };
  });
}

export function googleError(res: ServerResponse, code: number, status: string, message: string, details?: object[]) {
  json(res, code, { error: { code, message, status, ...(details ? { details } : {}) } });
}

export function json(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=UTF-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
