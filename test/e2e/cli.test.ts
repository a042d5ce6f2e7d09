// The CLI against the real `npm start` stack, through the typed client: `submit` uploads,
// follows the job over the WebSocket and writes exactly what `process` writes of the same
// file; a book over the server's MAX_PART_BYTES is cut into parts on this side and sent as
// one job, with the same sentences; `jobs` and `result` read them back; refusals are one
// line with the right exit status.
import { readFileSync } from "node:fs";
import path from "node:path";
import { PDFDocument } from "pdf-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unzipSync } from "fflate";
import { cli, cliBytes, type Run } from "../cli/run";
import { CORPUS, signIn, startStack, type Stack } from "./stack";

const EXTRAIT = path.join(CORPUS, "novels/maupassant-une-vie-extrait.pdf");
const VERNE = path.join(CORPUS, "novels/verne-deux-ans-de-vacances.pdf");
// Small enough that the Verne novel (0.8 MB) must go in several parts.
const PART_BYTES = 300_000;

let stack: Stack;
let key: string;

beforeAll(async () => {
  stack = await startStack({ MAX_PART_BYTES: String(PART_BYTES) });
  const session = await signIn(stack.url, "cli-user@example.com");
  const res = await fetch(`${stack.url}/api/v1/api-keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${session}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "cli test" }),
  });
  expect(res.status).toBe(201);
  key = ((await res.json()) as { key: string }).key;
});

afterAll(async () => {
  await stack?.stop();
});

const remote = () => ["--server", stack.url, "--api-key", key];

function expectOk(run: Run) {
  expect(run.stderr.includes("error:") ? run.stderr : "", "stderr").toBe("");
  expect(run.code).toBe(0);
}

describe("cli submit, jobs, result", () => {
  let submitted: Run;
  let processed: Run;
  let jobId = "";

  beforeAll(async () => {
    [submitted, processed] = await Promise.all([cli(["submit", EXTRAIT, ...remote()]), cli(["process", EXTRAIT, "-q"])]);
  });

  it("submit writes exactly the sentences process writes, after following the job to its end", () => {
    expectOk(submitted);
    expect(submitted.stdout.split("\n").length).toBeGreaterThan(20);
    expect(submitted.stdout).toBe(processed.stdout);
    jobId = /job ([0-9a-f-]{36})/.exec(submitted.stderr)?.[1] ?? "";
    expect(jobId).not.toBe("");
    expect(submitted.stderr).toMatch(/completed: 6 pages, \d+ sentences/);
  });

  it("jobs lists it; result writes it again in any format, as process would", async () => {
    const jobs = await cli(["jobs", ...remote()]);
    expectOk(jobs);
    const line = jobs.stdout.split("\n").find((l) => l.startsWith(jobId));
    expect(line).toMatch(/completed\s+6\s+.*maupassant-une-vie-extrait\.pdf$/);

    const [csv, expected] = await Promise.all([
      cli(["result", jobId, "-f", "csv", ...remote()]),
      cli(["process", EXTRAIT, "-q", "-f", "csv"]),
    ]);
    expectOk(csv);
    expect(csv.stdout).toBe(expected.stdout);
  });

  it("result --format anki and xlsx: the bytes of the API's exports; apkg: the same notes", async () => {
    const api = (format: string) =>
      fetch(`${stack.url}/api/v1/jobs/${jobId}/result?format=${format}`, { headers: { authorization: `Bearer ${key}` } });
    const anki = await cli(["result", jobId, "-f", "anki", ...remote()]);
    expectOk(anki);
    expect(anki.stdout).toBe(await (await api("anki")).text());
    expect(anki.stdout).toContain("\tmaupassant-une-vie-extrait\t");
    const xlsx = await cliBytes(["result", jobId, "-f", "xlsx", ...remote()]);
    expect(xlsx.code).toBe(0);
    expect(xlsx.stdout.equals(Buffer.from(await (await api("xlsx")).arrayBuffer()))).toBe(true);
    const apkg = await cliBytes(["result", jobId, "-f", "apkg", ...remote()]);
    expect(apkg.code).toBe(0);
    const db = new TextDecoder("latin1").decode(unzipSync(new Uint8Array(apkg.stdout))["collection.anki2"]);
    const guids = anki.stdout
      .trimEnd()
      .split("\n")
      .filter((l) => !l.startsWith("#"))
      .map((l) => l.split("\t")[4]!);
    for (const guid of guids) expect(db).toContain(guid);
    // The server's own package (sql.js in workerd, as wrangler bundles it): the same GUIDs.
    const served = await api("apkg");
    expect(served.status).toBe(200);
    const servedDb = new TextDecoder("latin1").decode(unzipSync(new Uint8Array(await served.arrayBuffer()))["collection.anki2"]);
    for (const guid of guids) expect(servedDb).toContain(guid);
  });

  it("a book over the server's safe size is cut into parts here and sent as one job: the same sentences", async () => {
    const [run, whole] = await Promise.all([
      cli(["submit", VERNE, "-f", "json", ...remote()]),
      cli(["process", VERNE, "-q", "-f", "json"]),
    ]);
    expectOk(run);
    const parts = Number(/sending it in (\d+) parts/.exec(run.stderr)?.[1]);
    expect(parts).toBeGreaterThanOrEqual(3);
    expect(run.stdout).toBe(whole.stdout);
    // The server's record: one job of that many parts, pages numbered across them.
    const id = /job ([0-9a-f-]{36})/.exec(run.stderr)![1]!;
    const job = (await (await fetch(`${stack.url}/api/v1/jobs/${id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as any;
    const pages = (await PDFDocument.load(readFileSync(VERNE))).getPageCount();
    expect(job).toMatchObject({ status: "completed", part_count: parts, parts_received: parts, page_count: pages });
  });

  it("--no-wait prints the job id and leaves", async () => {
    const run = await cli(["submit", EXTRAIT, "--no-wait", "-q", ...remote()]);
    expectOk(run);
    expect(run.stdout).toMatch(/^[0-9a-f-]{36}\n$/);
  });
});

describe("cli refusals", () => {
  it("a revoked or unknown key: one line, exit 1", async () => {
    const run = await cli(["jobs", "--server", stack.url, "--api-key", "fnt_not-a-real-key"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: .*\(401 unauthorized\)\n$/);
  });

  it("settings the API refuses are refused before any upload, in the flag's words", async () => {
    const run = await cli(["submit", EXTRAIT, "--limit-words", "9999", ...remote()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--limit-words");
  });

  it("the result of a job that is not yours (or does not exist): 404 in words, exit 1", async () => {
    const other = await cli(["result", crypto.randomUUID(), ...remote()]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/404 not_found/);
  });

  it("a server that does not answer: exit 69", async () => {
    const run = await cli(["jobs", "--server", "http://127.0.0.1:9", "--api-key", key]);
    expect(run.code).toBe(69);
    expect(run.stderr).toMatch(/could not reach the server/);
  });

  it("no server or key given: a usage error, exit 2", async () => {
    const run = await cli(["jobs"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--server");
  });
});
