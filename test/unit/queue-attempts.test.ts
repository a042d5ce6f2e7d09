// The attempts the queue consumers count (worker/jobs/queues/attempts.ts) are wrangler.toml's
// `max_retries` + 1, for the top-level (development) consumers and [env.production]'s alike.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CHUNK_MAX_ATTEMPTS, PLAN_MAX_ATTEMPTS } from "../../worker/jobs/queues/attempts";

const TOML = readFileSync(path.resolve(import.meta.dirname, "../../wrangler.toml"), "utf8");

/** The `[[…queues.consumers]]` tables of a wrangler.toml, by environment ("" for the top level). */
function consumers(toml: string): Array<{ env: string; settings: Record<string, string> }> {
  const out: Array<{ env: string; settings: Record<string, string> }> = [];
  let current: Record<string, string> | null = null;
  for (const raw of toml.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    const table = /^\[\[?([^\]]+)\]\]?$/.exec(line);
    if (table) {
      const m = /^(?:env\.([\w-]+)\.)?queues\.consumers$/.exec(table[1]!.trim());
      current = m && line.startsWith("[[") ? {} : null;
      if (current) out.push({ env: m![1] ?? "", settings: current });
      continue;
    }
    const kv = /^([\w-]+)\s*=\s*"?([^"]*)"?$/.exec(line);
    if (kv && current) current[kv[1]!] = kv[2]!;
  }
  return out;
}

const attemptsOf = (toml: string, queue: string) =>
  consumers(toml)
    .filter((c) => c.settings.queue === queue)
    .map((c) => ({ env: c.env, attempts: Number(c.settings.max_retries) + 1 }));

describe("queue attempts match wrangler.toml", () => {
  it("reads the consumers of both environments", () => {
    const sample = `[[queues.consumers]]\nqueue = "a"\nmax_retries = 2 # two\n\n[vars]\nX = "1"\n[[env.production.queues.consumers]]\nqueue = "a"\nmax_retries = 7\n[[env.production.queues.producers]]\nqueue = "a"\nmax_retries = 9\n`;
    expect(attemptsOf(sample, "a")).toEqual([
      { env: "", attempts: 3 },
      { env: "production", attempts: 8 },
    ]);
  });

  it("fnt-chunks: CHUNK_MAX_ATTEMPTS is max_retries + 1, in development and production", () => {
    expect(attemptsOf(TOML, "fnt-chunks")).toEqual([
      { env: "", attempts: CHUNK_MAX_ATTEMPTS },
      { env: "production", attempts: CHUNK_MAX_ATTEMPTS },
    ]);
  });

  it("fnt-plan: PLAN_MAX_ATTEMPTS is max_retries + 1, in development and production", () => {
    expect(attemptsOf(TOML, "fnt-plan")).toEqual([
      { env: "", attempts: PLAN_MAX_ATTEMPTS },
      { env: "production", attempts: PLAN_MAX_ATTEMPTS },
    ]);
  });
});
