/**
 * The whole job through the local stack (`npm start`: wrangler, queues, Durable Object),
 * upload to `completed`, with the local engine and with Gemini played by the fake server
 * under a few conditions. Reported as time ratios against the local engine in this run.
 */
import { readFileSync } from "node:fs";
import { signIn, startStack, upload, waitFor, getJson, type Stack } from "../test/e2e/stack";
import { startFakeGemini, type ControlPatch } from "../test/fake-gemini/server";

const FINAL = ["completed", "partial", "failed", "cancelled"];

interface Run {
  label: string;
  ms: number;
  status: string;
  chunks: number;
  requests: number | null;
}

async function runJob(stack: Stack, token: string, pdf: Uint8Array): Promise<{ ms: number; job: any }> {
  const t0 = performance.now();
  const res = await upload(stack.url, token, pdf, "bench.pdf");
  if (res.status !== 202) throw new Error(`upload answered ${res.status}`);
  const { id } = (await res.json()) as { id: string };
  const job = await waitFor(
    async () => {
      const { body } = await getJson(`${stack.url}/api/v1/jobs/${id}`, token);
      return FINAL.includes(body.status) ? body : undefined;
    },
    600_000,
    "the bench job",
  );
  return { ms: performance.now() - t0, job };
}

export async function benchStack(pdfPath: string): Promise<string> {
  const pdf = new Uint8Array(readFileSync(pdfPath));
  const runs: Run[] = [];

  const local = await startStack({ GEMINI_API_KEY: "" });
  try {
    const token = await signIn(local.url, "bench@example.com");
    await runJob(local, token, pdf); // warm-up: first build and first isolate
    const { ms, job } = await runJob(local, token, pdf);
    runs.push({ label: "local engine", ms, status: job.status, chunks: job.total_chunks, requests: null });
  } finally {
    await local.stop();
  }

  const fake = await startFakeGemini();
  const gemini = await startStack({ GEMINI_API_KEY: "bench-key", GEMINI_BASE_URL: fake.url, RETRY_BASE_SECONDS: "1" });
  try {
    const token = await signIn(gemini.url, "bench@example.com");
    const cases: Array<[string, ControlPatch]> = [
      ["gemini (fake), instant answers", { reset: true }],
      ["gemini (fake), 400 ms per call", { reset: true, latencyMs: 400 }],
      ["gemini (fake), 25% 429 (RetryInfo 1 s) + 10% 503", { reset: true, rates: { "429": 0.25, "503": 0.1 }, retryDelay: "1s", seed: 11 }],
    ];
    for (const [label, patch] of cases) {
      fake.control(patch);
      const { ms, job } = await runJob(gemini, token, pdf);
      runs.push({ label, ms, status: job.status, chunks: job.total_chunks, requests: fake.stats().total });
    }
  } finally {
    await gemini.stop();
    await fake.close();
  }

  const base = runs[0]!.ms;
  const note =
    "The Gemini runs are paced by the shared rate limiter at its defaults (GEMINI_RPM 300, GEMINI_TPM " +
    "1,000,000: a burst of a sixth of a minute, then ~16.7k tokens/s), as they would be against Google; " +
    "the fake itself answers at once unless told otherwise.";
  return [
    note,
    "",
    "| whole job through the local stack (upload → final) | time | status | chunks | model requests | time ÷ local engine |",
    "|---|---:|---|---:|---:|---:|",
    ...runs.map(
      (r) =>
        `| ${r.label} | ${(r.ms / 1000).toFixed(1)} s | ${r.status} | ${r.chunks} | ${r.requests ?? "—"} | ${(r.ms / base).toFixed(2)}× |`,
    ),
  ].join("\n");
}
