import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { answer, googleError, json, paragraphsOf, readScan, rulesOf, scanOf, segment, type GenerateRequest } from "./wire";

export { scanPageSentences } from "./wire";

/**
 * A stand-in for the Gemini API on 127.0.0.1, speaking its REST wire format
 * (POST /v1beta/models/{model}:generateContent, the SDK's x-goog-api-key header, the same
 * response and error JSON). Its "model" cuts each paragraph of the request with the local
 * segmenter (rewriting long sentences and joining short ones when the system instruction
 * asks), so results are checkable; switches make it fail the ways the real one does.
 */

/** What Google counts a PDF page sent to Gemini at, in tokens ("each document page is 258 tokens"). */
const PDF_PAGE_TOKENS = 258;

export const OUTCOMES = [
  "ok",
  "429",
  "500",
  "503",
  "504",
  "400",
  "403",
  "404",
  "max_tokens",
  "safety",
  "recitation",
  "blocked",
  "malformed",
  "drop",
  "replace",
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface FakeConfig {
  /** A fixed delay before every answer (on top of the two below). */
  latencyMs: number;
  /** The model's time to its first token, ms (FAKE_FIRST_TOKEN_MS for main.ts). */
  firstTokenMs: number;
  /** Output tokens a second after the first (FAKE_TOKENS_PER_S; 0: the whole answer at once). */
  tokensPerSecond: number;
  /** Seed of the generator that draws `rates`; the same seed gives the same run. */
  seed: number;
  /** Fraction of calls answered with each outcome, drawn at random. */
  rates: Partial<Record<Outcome, number>>;
  /** Outcomes of the next calls, in order, used before anything else ("the next 2 calls fail with 503"). */
  sequence: Outcome[];
  /** Every call, once `sequence` is used up (null: `rates`, then a correct answer). */
  always: Outcome | null;
  /** RetryInfo.retryDelay on 429 answers ("2s"); null leaves it out. */
  retryDelay: string | null;
  /** A request with more text than this answers MAX_TOKENS (the model "ran out"). */
  maxTokensOverChars: number | null;
  /** The same for scans: a request with more pages than this answers MAX_TOKENS. */
  maxTokensOverPages: number | null;
  /** Width of the windows of `GET /__stats`, in ms. */
  windowMs: number;
}

export const DEFAULT_CONFIG: FakeConfig = {
  latencyMs: 0,
  firstTokenMs: 0,
  tokensPerSecond: 0,
  seed: 1,
  rates: {},
  sequence: [],
  always: null,
  retryDelay: "2s",
  maxTokensOverChars: null,
  maxTokensOverPages: null,
  windowMs: 1000,
};

export interface FakeStats {
  total: number;
  by_model: Record<string, number>;
  by_outcome: Record<string, number>;
  by_version: Record<string, number>;
  /** Requests per window of `windowMs`, oldest first. */
  windows: Array<{ start_ms: number; count: number; by_model: Record<string, number> }>;
  last_request_ms: number | null;
  /** generateContent requests being answered now, and the most there were at once. */
  in_flight: number;
  max_in_flight: number;
  /** The longest a request was held before its answer (the model's time), ms. */
  slowest_ms: number;
  /** The last generateContent request as received, for tests that check what was sent. */
  last_request: { model: string; version: string; headers: Record<string, string>; body: unknown } | null;
}

export interface FakeGemini {
  url: string;
  port: number;
  config: FakeConfig;
  /** Merges into the running config (the same as POST /__control). */
  control: (patch: ControlPatch) => void;
  stats: () => FakeStats;
  close: () => Promise<void>;
}

export type ControlPatch = Partial<FakeConfig> & { reset?: boolean };

const emptyStats = (): FakeStats => ({
  total: 0,
  by_model: {},
  by_outcome: {},
  by_version: {},
  windows: [],
  last_request_ms: null,
  last_request: null,
  in_flight: 0,
  max_in_flight: 0,
  slowest_ms: 0,
});

/** mulberry32: small, seeded, good enough to draw failures. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startFakeGemini(initial: Partial<FakeConfig> = {}, port = 0): Promise<FakeGemini> {
  const config: FakeConfig = { ...DEFAULT_CONFIG, ...initial };
  let random = rng(config.seed);
  let stats = emptyStats();

  const control = (patch: ControlPatch) => {
    const { reset, ...rest } = patch;
    if (reset) {
      Object.assign(config, DEFAULT_CONFIG);
      stats = emptyStats();
    }
    Object.assign(config, rest);
    if (reset || rest.seed !== undefined) random = rng(config.seed);
  };

  const pick = (tooLong: boolean): Outcome => {
    const next = config.sequence.shift();
    if (next) return next;
    if (config.always) return config.always;
    const r = random();
    let acc = 0;
    for (const [o, f] of Object.entries(config.rates)) {
      acc += f ?? 0;
      if (r < acc) return o as Outcome;
    }
    return tooLong ? "max_tokens" : "ok";
  };

  const count = (model: string, version: string, outcome: Outcome) => {
    const now = Date.now();
    stats.total++;
    stats.last_request_ms = now;
    stats.by_model[model] = (stats.by_model[model] ?? 0) + 1;
    stats.by_outcome[outcome] = (stats.by_outcome[outcome] ?? 0) + 1;
    stats.by_version[version] = (stats.by_version[version] ?? 0) + 1;
    const start = now - (now % config.windowMs);
    let w = stats.windows.at(-1);
    if (!w || w.start_ms !== start) stats.windows.push((w = { start_ms: start, count: 0, by_model: {} }));
    w.count++;
    w.by_model[model] = (w.by_model[model] ?? 0) + 1;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const body = await readBody(req);
    if (url.pathname === "/__stats" && req.method === "GET") return json(res, 200, stats);
    if (url.pathname === "/__control" && req.method === "POST") {
      try {
        control(JSON.parse(body || "{}") as ControlPatch);
      } catch {
        return json(res, 400, { error: "control body must be JSON" });
      }
      return json(res, 200, config);
    }
    const m = /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+):generateContent$/.exec(url.pathname);
    if (!m || req.method !== "POST") return googleError(res, 404, "NOT_FOUND", `Unknown path ${url.pathname}.`);
    const [, version, model] = m as unknown as [string, string, string];
    let request: GenerateRequest;
    try {
      request = JSON.parse(body) as GenerateRequest;
    } catch {
      return googleError(res, 400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
    }
    const scan = await scanOf(request);
    const paragraphs = scan ? [] : paragraphsOf(request);
    const chars = paragraphs.reduce((n, p) => n + p.text.length, 0);
    const tooLong = scan
      ? config.maxTokensOverPages !== null && scan.pages > config.maxTokensOverPages
      : config.maxTokensOverChars !== null && chars > config.maxTokensOverChars;
    const hasKey = Boolean(req.headers["x-goog-api-key"] || url.searchParams.get("key"));
    const outcome: Outcome = !hasKey ? "403" : !model.startsWith("gemini-") ? "404" : pick(tooLong);
    count(model, version, outcome);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    stats.last_request = { model, version, headers, body: request };
    const output = scan
      ? readScan(scan, outcome === "drop")
      : { paragraphs: segment(paragraphs, outcome === "drop" || outcome === "replace" ? outcome : null, rulesOf(request)) };
    const wait = config.latencyMs + answerMs(config, outcome, JSON.stringify(output).length, request.generationConfig?.maxOutputTokens);
    stats.in_flight++;
    stats.max_in_flight = Math.max(stats.max_in_flight, stats.in_flight);
    stats.slowest_ms = Math.max(stats.slowest_ms, wait);
    try {
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    } finally {
      stats.in_flight--;
    }
    answer(res, outcome, model, version, request, output, config.retryDelay, scan ? scan.pages * PDF_PAGE_TOKENS : 0);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) googleError(res, 500, "INTERNAL", String(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    config,
    control,
    stats: () => structuredClone(stats),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * How long the model takes to answer: its first token, then its output at tokensPerSecond
 * (4 characters a token, at most the request's maxOutputTokens). An HTTP error answers after
 * the first-token delay alone.
 */
export function answerMs(c: FakeConfig, outcome: Outcome, outputChars: number, maxOutputTokens?: number): number {
  if (/^\d/.test(outcome)) return c.firstTokenMs;
  const tokens = Math.min(Math.ceil(outputChars / 4), maxOutputTokens ?? Number.POSITIVE_INFINITY);
  return c.firstTokenMs + (c.tokensPerSecond > 0 ? (tokens / c.tokensPerSecond) * 1000 : 0);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts).toString("utf8");
}
