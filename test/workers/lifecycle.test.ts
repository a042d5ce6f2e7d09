// worker/jobs/lifecycle.ts against the real D1: a status change applies only from a status the
// table allows (and the caller's further condition), sets the caller's fields with it, and two
// racing changes of the same job apply once.
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { jobs } from "../../schema/db";
import { transition, transitionAll } from "../../worker/jobs/lifecycle";
import { insertJob, jobRow } from "./jobs";

describe("a job's status changes", () => {
  it("applies a change the table allows, with the caller's fields, and returns the row", async () => {
    const id = await insertJob("life1", "queued");
    const row = await transition(env.DB, id, "planning", { current_step: "reading the PDF" });
    expect(row).toMatchObject({ id, status: "planning", current_step: "reading the PDF" });
    expect(await jobRow(id)).toMatchObject({ status: "planning", current_step: "reading the PDF" });
  });

  it("refuses one the table does not allow, writing nothing", async () => {
    const id = await insertJob("life1", "completed");
    const before = await jobRow(id);
    expect(await transition(env.DB, id, "processing", { current_step: "again" })).toBeNull();
    expect(await transition(env.DB, id, "cancelled", { current_step: "cancelled" })).toBeNull();
    expect(await jobRow(id)).toEqual(before);
  });

  it("keeps to the caller's starting points and condition", async () => {
    const id = await insertJob("life1", "uploading");
    // Allowed by the table (uploading → cancelled), but the caller asked from reserved only.
    expect(await transition(env.DB, id, "cancelled", {}, { from: ["reserved"] })).toBeNull();
    expect(await transition(env.DB, id, "queued", {}, { from: ["uploading"], where: eq(jobs.original_filename, "other.pdf") })).toBeNull();
    expect((await jobRow(id))!.status).toBe("uploading");
    expect(
      await transition(env.DB, id, "queued", {}, { from: ["uploading"], where: eq(jobs.original_filename, "livre.pdf") }),
    ).toMatchObject({
      status: "queued",
    });
    await expect(transition(env.DB, id, "queued", {}, { from: ["processing"] })).rejects.toThrow(/cannot go from processing to queued/);
  });

  it("two racing claims of one job apply once", async () => {
    const id = await insertJob("life1", "reserved");
    const claims = await Promise.all(
      Array.from({ length: 5 }, (_, i) => transition(env.DB, id, "queued", { current_step: `claim ${i}` }, { from: ["reserved"] })),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect((await jobRow(id))!.status).toBe("queued");
  });

  it("moves every job meeting a condition at once, and only from where it may", async () => {
    const a = await insertJob("life2", "reserved");
    const b = await insertJob("life2", "reserved");
    const c = await insertJob("life2", "completed");
    const moved = await transitionAll(env.DB, "failed", { error_code: "reservation_expired" }, { where: eq(jobs.owner_id, "life2") });
    expect(moved.map((r) => r.id).sort()).toEqual([a, b].sort());
    expect((await jobRow(c))!.status).toBe("completed");
    expect(await jobRow(a)).toMatchObject({ status: "failed", error_code: "reservation_expired" });
  });
});
