/** A job's webhook events, queued by its tracker with the job as its D1 row now has it. */
import { eq } from "drizzle-orm";
import { jobs } from "../../../schema/db";
import { db } from "../../core/db";
import { enqueueEvent, progressEventId, type WebhookEvent } from "../../webhooks/service";
import { toPublicJob } from "../service";
import type { Meta } from "./types";

/** Queues a webhook event with the job as it now stands; never fails the job's own work. */
export async function hook(env: Env, m: Meta, type: WebhookEvent, id: string): Promise<void> {
  if (!m.hooks) return;
  try {
    const row = await db(env.DB).select().from(jobs).where(eq(jobs.id, m.job_id)).get();
    if (row) await enqueueEvent(env, m.hooks, id, type, toPublicJob(row));
  } catch (err) {
    console.error(JSON.stringify({ msg: "could not queue a webhook", job_id: m.job_id, type, err: String(err) }));
  }
}

/** The `progress_every` step a percent has reached, when a job.progress event is due for it; else null. */
export function progressStepDue(m: Pick<Meta, "hooks" | "hooks_progress_sent">, percent: number): number | null {
  const every = m.hooks?.progress_every;
  if (!every) return null;
  const step = Math.floor(percent / every) * every;
  if (step <= 0 || step >= 100 || step <= (m.hooks_progress_sent ?? 0)) return null;
  return step;
}

/** job.progress each time the job passes another `progress_every` percent; `save` keeps the step sent. */
export async function progressHook(env: Env, m: Meta, percent: number, save: (m: Meta) => void): Promise<void> {
  const step = progressStepDue(m, percent);
  if (step === null) return;
  m.hooks_progress_sent = step;
  save(m);
  await hook(env, m, "job.progress", progressEventId(m.job_id, step, m.retries));
}
