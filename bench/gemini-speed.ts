/**
 * The novel through the Gemini engine at the model's real speed (issue 25): the fake Gemini
 * answering at once, in 8 s a call, and at the published rate of the model we offer by default,
 * each beside the physical bound of the job:
 *   max(plan time + the slowest call, tokens ÷ GEMINI_TPM, requests ÷ GEMINI_RPM)
 * (the plan from the job's own timestamps, the slowest call and the requests from the fake, the
 * tokens from the job). The goal: every job within 1.3× its bound.
 *
 * Part of `npm run bench`; `npm run bench:gemini` runs this section alone and writes it to
 * docs/bench.md (`-- --model instant` measures one speed, printed only).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { CORPUS, getJson, signIn, startStack, upload, type Stack } from "../test/e2e/stack";
import { type ControlPatch, startFakeGemini } from "../test/fake-gemini/server";
import { writeSection } from "./doc";

const FINAL = ["completed", "partial", "failed", "cancelled"];
const NOVEL = path.join(CORPUS, "novels", "verne-deux-ans-de-vacances.pdf");
/** The stack's quota, as wrangler.toml sets it by default. */
const RPM = 300;
const TPM = 1_000_000;

/**
 * The speeds measured. The published rate: gemini-2.5-flash (the default model) answers its
 * first token in ~0.5 s and then ~250 output tokens a second without thinking (Artificial
 * Analysis's median for the model; Google publishes no figure of its own).
 */
export const MODELS: Array<{ key: string; label: string; patch: ControlPatch }> = [
  { key: "instant", label: "instant answers", patch: {} },
  { key: "8s", label: "8 s a call", patch: { firstTokenMs: 8_000 } },
  {
    key: "published",
    label: "gemini-2.5-flash's published rate: first token 0.5 s, 250 tokens/s",
    patch: { firstTokenMs: 500, tokensPerSecond: 250 },
  },
];

interface Measured {
  label: string;
  ms: number;
  status: string;
  chunks: number;
  requests: number;
  tokens: number;
  planMs: number;
  slowestMs: number;
  maxInFlight: number;
  bound: number;
  /** After 25% of the chunks: the ETA the job gave, and the time it actually took from then. */
  eta?: { said: number; took: number };
}

async function runOne(
  stack: Stack,
  token: string,
  pdf: Uint8Array,
  fake: Awaited<ReturnType<typeof startFakeGemini>>,
): Promise<Omit<Measured, "label">> {
  const t0 = performance.now();
  const res = await upload(stack.url, token, pdf, "bench.pdf");
  if (res.status !== 202) throw new Error(`upload answered ${res.status}`);
  const { id } = (await res.json()) as { id: string };
  // The job's own progress events: the first one past a quarter of its chunks gives the ETA checked.
  let eta: { said: number; at: number } | undefined;
  const ws = new WebSocket(`${stack.url.replace("http", "ws")}/api/v1/jobs/${id}/events?access_token=${token}`);
  ws.addEventListener("message", (m) => {
    const e = JSON.parse(String(m.data));
    if (eta || !e.total_chunks || e.processed_chunks + e.failed_chunks < e.total_chunks / 4 || e.eta_seconds == null) return;
    eta = { said: e.eta_seconds, at: Date.parse(e.at) };
  });
  const deadline = Date.now() + 900_000;
  for (;;) {
    const { body } = await getJson(`${stack.url}/api/v1/jobs/${id}`, token);
    if (FINAL.includes(body.status)) {
      ws.close();
      const ms = performance.now() - t0;
      const at = (k: string) => Date.parse(body[k]);
      const st = fake.stats();
      const planMs = at("started_at") - at("created_at");
      const slowestMs = st.slowest_ms ?? 0;
      const bound = Math.max(planMs + slowestMs, (body.actual_tokens / TPM) * 60_000, (st.total / RPM) * 60_000);
      return {
        ms,
        status: body.status,
        chunks: body.total_chunks,
        requests: st.total,
        tokens: body.actual_tokens,
        planMs,
        slowestMs,
        maxInFlight: st.max_in_flight,
        bound,
        ...(eta ? { eta: { said: eta.said, took: (at("completed_at") - eta.at) / 1000 } } : {}),
      };
    }
    if (Date.now() > deadline) throw new Error("no final status after 15 minutes");
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function benchGeminiSpeed(only?: string): Promise<string> {
  const pdf = new Uint8Array(readFileSync(NOVEL));
  const fake = await startFakeGemini();
  const stack = await startStack({
    GEMINI_API_KEY: "bench-key",
    GEMINI_BASE_URL: fake.url,
    RETRY_BASE_SECONDS: "1",
    GEMINI_RPM: String(RPM),
    GEMINI_TPM: String(TPM),
  });
  const rows: Measured[] = [];
  try {
    const token = await signIn(stack.url, "speed@example.com");
    // Warm-up (first isolates, the web build), then each speed on the same stack.
    fake.control({ reset: true });
    await runOne(stack, token, pdf, fake);
    for (const m of MODELS.filter((m) => !only || m.key === only)) {
      // A minute of quiet between runs: the limiter's buckets full again, as for a job arriving alone.
      await new Promise((r) => setTimeout(r, 15_000));
      fake.control({ reset: true, ...m.patch });
      rows.push({ label: m.label, ...(await runOne(stack, token, pdf, fake)) });
      console.error(
        `gemini speed: ${m.label}: ${(rows.at(-1)!.ms / 1000).toFixed(1)} s (bound ${(rows.at(-1)!.bound / 1000).toFixed(1)} s)`,
      );
    }
  } finally {
    await stack.stop();
    await fake.close();
  }
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return [
    "## Gemini at the model's speed",
    "",
    `Generated by \`npm run bench\` or \`npm run bench:gemini\` (${new Date().toISOString().slice(0, 10)}). The Verne novel through the local stack with the Gemini engine, the fake Gemini answering at each speed (\`bench/gemini-speed.ts\`; quota GEMINI_RPM ${RPM}, GEMINI_TPM ${TPM.toLocaleString("en-US")}). ` +
      "The bound is the physical limit of the job: max(reading the PDF + the slowest model call, tokens ÷ TPM, requests ÷ RPM). The goal: each job within 1.3× its bound. " +
      "The ETA is the job's own `eta_seconds` once a quarter of its chunks were done, against the time it actually took from then.",
    "",
    "| speed | job time | bound | job ÷ bound | reading the PDF | slowest call | tokens (÷ TPM) | requests (÷ RPM) | calls in flight at most | ETA at 25% ÷ actual | status |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ...rows.map(
      (r) =>
        `| ${r.label} | ${s(r.ms)} | ${s(r.bound)} | ${(r.ms / r.bound).toFixed(2)}× | ${s(r.planMs)} | ${s(r.slowestMs)} | ` +
        `${r.tokens.toLocaleString("en-US")} (${s((r.tokens / TPM) * 60_000)}) | ${r.requests} (${s((r.requests / RPM) * 60_000)}) | ${r.maxInFlight} | ` +
        `${r.eta ? `${r.eta.said} s ÷ ${r.eta.took.toFixed(0)} s = ${(r.eta.said / r.eta.took).toFixed(2)}` : "—"} | ${r.status} |`,
    ),
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf("--model");
  const only = i > 0 ? process.argv[i + 1] : undefined;
  const section = await benchGeminiSpeed(only);
  process.stdout.write(`${section}\n`);
  if (!only) writeSection("## Gemini at the model's speed", `${section}\n`);
}
