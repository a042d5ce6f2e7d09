// A job's lifecycle: the transition table beside the status list, and the guard that keeps
// every write of jobs.status in worker/jobs/lifecycle.ts.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { allowedFrom, canTransition, FINAL_STATUSES, fromStatuses, JOB_STATUSES, JOB_TRANSITIONS } from "../../schema/statuses";

const ROOT = path.resolve(import.meta.dirname, "../..");

describe("the transition table", () => {
  it("has a row for every status, naming only statuses", () => {
    expect(Object.keys(JOB_TRANSITIONS).sort()).toEqual([...JOB_STATUSES].sort());
    for (const next of Object.values(JOB_TRANSITIONS)) for (const s of next) expect(JOB_STATUSES).toContain(s);
  });

  it("moves nothing into reserved or uploading: a job is created in them", () => {
    expect(allowedFrom("reserved")).toEqual([]);
    expect(allowedFrom("uploading")).toEqual([]);
  });

  it("ends a job only once, except that failed pages may be retried", () => {
    expect(JOB_TRANSITIONS.completed).toEqual([]);
    expect(JOB_TRANSITIONS.cancelled).toEqual([]);
    expect(JOB_TRANSITIONS.partial).toEqual(["processing"]);
    expect(JOB_TRANSITIONS.failed).toEqual(["processing"]);
    for (const end of FINAL_STATUSES) for (const other of FINAL_STATUSES) expect(canTransition(end, other)).toBe(false);
  });

  it("follows the paths a job takes", () => {
    expect(canTransition("reserved", "queued")).toBe(true); // its PDF came
    expect(canTransition("uploading", "queued")).toBe(true); // its last part came
    expect(canTransition("queued", "planning")).toBe(true);
    expect(canTransition("planning", "processing")).toBe(true);
    expect(canTransition("processing", "partial")).toBe(true);
    expect(canTransition("queued", "processing")).toBe(false); // the plan step marks planning first
    expect(canTransition("queued", "completed")).toBe(false);
    expect(canTransition("reserved", "planning")).toBe(false);
    expect(canTransition("uploading", "processing")).toBe(false);
    expect(allowedFrom("queued")).toEqual(["reserved", "uploading"]);
    expect(allowedFrom("completed")).toEqual(["processing"]);
    expect(allowedFrom("cancelled")).toEqual(["reserved", "uploading", "queued", "planning", "processing"]);
  });

  it("the lifecycle takes only starting points the table allows", () => {
    expect(fromStatuses("queued")).toEqual(["reserved", "uploading"]);
    expect(fromStatuses("cancelled", ["reserved"])).toEqual(["reserved"]);
    expect(() => fromStatuses("queued", ["completed"])).toThrow(/cannot go from completed to queued/);
    expect(() => fromStatuses("processing", ["partial", "cancelled"])).toThrow(/cancelled to processing/);
  });
});

/** Writes of jobs.status found in a file's source: drizzle's update(jobs).set({… status …}) and raw UPDATE jobs SET … status. */
function statusWrites(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/\.update\(\s*jobs\s*\)([\s\S]*?)(?:\.where\(|;)/g)) {
    if (/\bstatus\b/.test(m[1]!)) found.push(m[0].replace(/\s+/g, " ").slice(0, 120));
  }
  for (const m of source.matchAll(/UPDATE\s+jobs\s+SET\b([\s\S]*?)(?:\bWHERE\b|`|"|;)/gi)) {
    if (/\bstatus\b/i.test(m[1]!)) found.push(m[0].replace(/\s+/g, " ").slice(0, 120));
  }
  return found;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") && !e.name.endsWith(".data.ts") ? [p] : [];
  });
}

describe("one place writes jobs.status", () => {
  it("the check finds a status write in each form", () => {
    expect(statusWrites(`await db(env.DB).update(jobs).set({ status: "failed", updated_at: now }).where(eq(jobs.id, id));`)).toHaveLength(
      1,
    );
    expect(statusWrites(`d.update( jobs )\n  .set({\n    current_step: "x",\n    status,\n  })\n  .where(x)`)).toHaveLength(1);
    expect(statusWrites("env.DB.prepare(`UPDATE jobs SET status = 'failed', updated_at = ?1 WHERE id = ?2`)")).toHaveLength(1);
    expect(statusWrites('env.DB.prepare("update jobs set error_code = ?, status=? where id = ?")')).toHaveLength(1);
    // The status only in the condition, or another table's status: not a write of jobs.status.
    expect(statusWrites(`d.update(jobs).set({ uploads_expired_at: now }).where(eq(jobs.status, "failed"));`)).toEqual([]);
    expect(statusWrites("`UPDATE jobs SET file_size = ?2 WHERE id = ?1 AND status = 'uploading'`")).toEqual([]);
    expect(statusWrites(`d.update(learningSets).set({ status: "failed" }).where(x);`)).toEqual([]);
  });

  it("no file in worker/ but worker/jobs/lifecycle.ts writes it", () => {
    const lifecycle = path.join(ROOT, "worker/jobs/lifecycle.ts");
    const offenders = tsFiles(path.join(ROOT, "worker"))
      .filter((f) => f !== lifecycle)
      .flatMap((f) => statusWrites(readFileSync(f, "utf8")).map((w) => `${path.relative(ROOT, f)}: ${w}`));
    expect(offenders).toEqual([]);
    // The lifecycle itself is found by the check: it does look where the writes are.
    expect(statusWrites(readFileSync(lifecycle, "utf8"))).toHaveLength(1);
  });
});
