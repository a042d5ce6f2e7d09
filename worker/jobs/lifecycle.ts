/**
 * A job's lifecycle: the one place that changes `jobs.status`. Each change is checked against
 * the transition table beside the status list (schema/statuses.ts) and written as one
 * conditional UPDATE (WHERE status IN the statuses it may come from), so two requests racing
 * for the same job (two last parts, a cancel and the cron) move it once. Callers set the
 * other fields as they always did; a change that does not apply writes nothing.
 * test/unit/lifecycle-guard.test.ts fails if another file in worker/ writes the status.
 */
import { and, eq, inArray, type SQL } from "drizzle-orm";
import { jobs, type JobRow } from "../../schema/db";
import { fromStatuses, type JobStatus } from "../../schema/statuses";
import { db, nowIso } from "../core/db";

/** What a status change sets besides the status (`updated_at` defaults to now). */
export type JobFields = Omit<Partial<typeof jobs.$inferInsert>, "id" | "owner_id" | "status">;

export interface TransitionOptions {
  /** Only from these statuses (each one the table allows into `to`); default: all it allows. */
  from?: readonly JobStatus[];
  /** A further condition the row must meet (all its parts in, its deadline passed). */
  where?: SQL;
}

async function apply(d1: D1Database, target: SQL, to: JobStatus, fields: JobFields, opts: TransitionOptions): Promise<JobRow[]> {
  const from = fromStatuses(to, opts.from);
  if (from.length === 0) return [];
  return db(d1)
    .update(jobs)
    .set({ updated_at: nowIso(), ...fields, status: to })
    .where(and(target, inArray(jobs.status, from), ...(opts.where ? [opts.where] : [])))
    .returning()
    .all();
}

/**
 * Moves job `jobId` to `to`, setting `fields` with it, if its status now allows it (and
 * `opts.where` holds). Returns the row as written, or null when the change did not apply.
 */
export async function transition(
  d1: D1Database,
  jobId: string,
  to: JobStatus,
  fields: JobFields = {},
  opts: TransitionOptions = {},
): Promise<JobRow | null> {
  const [row] = await apply(d1, eq(jobs.id, jobId), to, fields, opts);
  return row ?? null;
}

/** Moves every job that meets `opts.where` (and the table) to `to`: the cron's expiries. Returns those moved. */
export function transitionAll(
  d1: D1Database,
  to: JobStatus,
  fields: JobFields,
  opts: TransitionOptions & { where: SQL },
): Promise<JobRow[]> {
  return apply(d1, opts.where, to, fields, { from: opts.from });
}
