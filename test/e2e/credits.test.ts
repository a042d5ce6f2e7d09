import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CORPUS, signIn, startStack, upload, waitFor, type Stack } from "./stack";

// Money on the real stack: the original tool's client sequence (reserve → process-pdf-async
// → poll), and a book bigger than the credits left. The local engine is priced here at
// 1 credit per 1,000 tokens with 30 credits a month: the 6-page extract costs about 5,
// the 325-page novel about 175.

const EXTRAIT = readFileSync(path.join(CORPUS, "novels/maupassant-une-vie-extrait.pdf"));
const VERNE = readFileSync(path.join(CORPUS, "novels/verne-deux-ans-de-vacances.pdf"));

let stack: Stack;
let token: string;

beforeAll(async () => {
  stack = await startStack({
    CREDIT_PRICES: JSON.stringify({ local: 1, "gemini-2.5-flash": 1, "gemini-2.5-flash-lite": 0.4, "gemini-2.5-pro": 4 }),
    MONTHLY_CREDITS: "30",
    MAX_JOBS_PER_HOUR: "10",
  });
  token = await signIn(stack.url, "client@example.com");
});

afterAll(async () => {
  await stack?.stop();
});

const auth = () => ({ authorization: `Bearer ${token}` });
const get = async (p: string) => (await (await fetch(`${stack.url}${p}`, { headers: auth() })).json()) as any;

async function finalJob(id: string) {
  return waitFor(
    async () => {
      const j = await get(`/api/v1/jobs/${id}`);
      return ["completed", "partial", "failed", "cancelled"].includes(j.status) ? j : undefined;
    },
    120_000,
    `job ${id} to end`,
  );
}

describe("credits on the local stack", () => {
  it("runs the original tool's sequence: reserve, process-pdf-async, poll to completed, settled", async () => {
    const reserve = await fetch(`${stack.url}/api/v1/credits/reserve`, {
      method: "POST",
      headers: { ...auth(), "content-type": "application/json" },
      body: JSON.stringify({ estimated_tokens: 8000 }),
    });
    expect(reserve.status).toBe(201);
    expect(reserve.headers.get("ratelimit-remaining")).toBe("9");
    const r = (await reserve.json()) as any;
    expect(r).toMatchObject({ estimated_credits: 8, reserved_credits: 8, available: 22 });

    const form = new FormData();
    form.set("job_id", r.job_id);
    form.set("sentence_length_limit", "25");
    form.set("pdf_file", new Blob([EXTRAIT], { type: "application/pdf" }), "une-vie.pdf");
    const started = await fetch(`${stack.url}/api/v1/process-pdf-async`, { method: "POST", headers: auth(), body: form });
    expect(started.status).toBe(202);
    expect(await started.json()).toEqual({ job_id: r.job_id, task_id: r.job_id, status: "pending", message: "PDF processing started" });

    const job = await finalJob(r.job_id);
    expect(job.status).toBe("completed");
    expect(job.progress_percent).toBe(100);
    expect(job.total_chunks).toBe(job.processed_chunks);
    expect(job.estimated_credits).toBeGreaterThan(3);
    expect(job.actual_credits).toBe(job.estimated_credits); // the local engine bills its estimate
    expect(job.pricing_rate).toBe(1);
    expect(job.pricing_version).toMatch(/^p-/);
    const c = await get("/api/v1/credits");
    expect(c).toMatchObject({ reserved: 0, monthly_allowance: 30 });
    expect(c.balance).toBeCloseTo(30 - job.actual_credits, 3);
    const entries = (await get("/api/v1/credits/ledger")).entries;
    // The plan's estimate replaced the client's; the job then paid exactly that (nothing to release).
    expect(entries.map((e: any) => [e.kind, e.credits, e.note])).toEqual([
      ["settle", -job.actual_credits, null],
      ["reserve", job.estimated_credits, "replaces a reservation of 8 credits"],
      ["reserve", 8, null],
      ["grant", 30, "monthly allowance"],
    ]);
  });

  it("a book beyond the credits left ends insufficient_credits, the balance unchanged", async () => {
    const before = await get("/api/v1/credits");
    const res = await upload(stack.url, token, VERNE, "verne.pdf");
    expect(res.status).toBe(202);
    const job = await finalJob(((await res.json()) as any).id);
    expect(job.status).toBe("failed");
    expect(job.error_code).toBe("insufficient_credits");
    expect(job.error_message).toMatch(/needs about \d+(\.\d+)? credits and \d+(\.\d+)? are available/);
    expect(job.processed_chunks).toBe(0);
    expect(job.actual_credits).toBe(0);
    const after = await get("/api/v1/credits");
    expect(after).toEqual(before);
  });

  it("refuses the eleventh job of the hour with 429 and Retry-After", async () => {
    let status = 0;
    let res: Response | undefined;
    // Two jobs are made above; eight more fill the hour.
    for (let i = 0; i < 9; i++) {
      res = await fetch(`${stack.url}/api/v1/credits/reserve`, {
        method: "POST",
        headers: { ...auth(), "content-type": "application/json" },
        body: JSON.stringify({ estimated_tokens: 1 }),
      });
      status = res.status;
      if (status === 429) break;
    }
    expect(status).toBe(429);
    expect(Number(res!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(res!.headers.get("ratelimit-remaining")).toBe("0");
  });
});
