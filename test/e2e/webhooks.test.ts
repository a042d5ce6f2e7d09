import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CORPUS, signIn, startStack, upload, waitFor, type Stack } from "./stack";

// Webhooks on the real stack: a receiver on 127.0.0.1 gets a signed job.completed that the
// standardwebhooks library verifies; a receiver that fails twice, then answers, gets exactly
// one delivery, recorded as a success after two failures.

const EXTRAIT = readFileSync(path.join(CORPUS, "novels/maupassant-une-vie-extrait.pdf"));

interface Got {
  path: string;
  headers: Record<string, string>;
  body: string;
}

let stack: Stack;
let token: string;
let server: Server;
let receiverUrl = "";
const got: Got[] = [];
/** Answers 503 to this many more requests to /flaky. */
let failFlaky = 2;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const entry = { path: req.url ?? "", headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), body };
      if (req.url === "/flaky" && failFlaky > 0) {
        failFlaky--;
        got.push({ ...entry, path: "/flaky (refused)" });
        res.writeHead(503).end("busy");
        return;
      }
      got.push(entry);
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  receiverUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  stack = await startStack({ WEBHOOK_RETRY_BASE_SECONDS: "1" });
  token = await signIn(stack.url, "hooked@example.com");
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((r) => server?.close(r));
});

const get = async (p: string) => (await (await fetch(`${stack.url}${p}`, { headers: { authorization: `Bearer ${token}` } })).json()) as any;

async function deliveries(jobId: string, wanted: (d: any[]) => boolean) {
  return waitFor(
    async () => {
      const d = (await get(`/api/v1/jobs/${jobId}/webhooks`)).deliveries as any[];
      return wanted(d) ? d : undefined;
    },
    60_000,
    "webhook deliveries",
  );
}

describe("webhooks on the local stack", () => {
  it("a receiver gets a signed job.completed that verifies with the standardwebhooks library", async () => {
    const res = await upload(stack.url, token, EXTRAIT, "une-vie.pdf", { webhook_url: `${receiverUrl}/hook` });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as any;
    const [d] = await deliveries(id, (ds) => ds.length === 1 && ds[0].state === "delivered");
    expect(d.event_type).toBe("job.completed");
    const mine = got.filter((g) => g.path === "/hook");
    expect(mine).toHaveLength(1);
    const { secret } = await get("/api/v1/webhooks/secret");
    const event = new Webhook(secret).verify(mine[0]!.body, mine[0]!.headers) as any;
    expect(event).toMatchObject({ type: "job.completed", data: { id, status: "completed", sentence_count: expect.any(Number) } });
    expect(mine[0]!.headers["webhook-id"]).toBe(d.id);
    // Another user's secret does not verify it.
    const other = await signIn(stack.url, "other-hooked@example.com");
    const otherSecret = (
      (await (await fetch(`${stack.url}/api/v1/webhooks/secret`, { headers: { authorization: `Bearer ${other}` } })).json()) as any
    ).secret;
    expect(() => new Webhook(otherSecret).verify(mine[0]!.body, mine[0]!.headers)).toThrow();
  });

  it("a receiver that fails twice then succeeds: one delivery, success after two failures", async () => {
    const res = await upload(stack.url, token, EXTRAIT, "une-vie.pdf", { webhook_url: `${receiverUrl}/flaky` });
    const { id } = (await res.json()) as any;
    const [d] = await deliveries(id, (ds) => ds.length === 1 && ds[0].state !== "pending");
    expect(d.state).toBe("delivered");
    expect(d.attempts.map((a: any) => a.status)).toEqual([503, 503, 200]);
    expect(d.attempts[0].error).toBe("answered 503");
    expect(got.filter((g) => g.path === "/flaky")).toHaveLength(1);
    expect(got.filter((g) => g.path === "/flaky (refused)")).toHaveLength(2);
    // Every try carried the same event id.
    expect(new Set(got.filter((g) => g.path.startsWith("/flaky")).map((g) => g.headers["webhook-id"]))).toEqual(new Set([d.id]));
  });
});
