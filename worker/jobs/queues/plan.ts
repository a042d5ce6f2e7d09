/** The plan queue's consumer (`fnt-plan`): a job's book read and cut into chunks (worker/jobs/plan-chunks.ts). */
import { eq } from "drizzle-orm";
import { PlanMessageSchema, type PlanMessage } from "../../../schema/api";
import { jobs } from "../../../schema/db";
import { parsePages } from "../../../schema/pages";
import { JobSettingsSchema } from "../../../schema/settings";
import { db } from "../../core/db";
import { heartbeat } from "../../ops/state";
import { PipelineError } from "../../pipeline/errors";
import { planDocument, type Deadline } from "../../pipeline/index";
import { pageRanges } from "../../pipeline/scan";
import { chunkKey, planAttemptKey, sourceKey } from "../keys";
import { imageRanges, loadPageImages } from "../page-images";
import {
  backoffSeconds,
  planScan,
  putAll,
  retryBase,
  SCAN_CHUNK_IMAGE_BYTES,
  SCAN_PAGES_PER_CHUNK,
  SOURCE_GONE,
  startChunks,
} from "../plan-chunks";
import { planParts, refuseOversized } from "../plan-parts";
import { tracker } from "../service";
import { chunkChars, config } from "../../core/config";

import { PLAN_MAX_ATTEMPTS } from "./attempts";

export { PLAN_MAX_ATTEMPTS } from "./attempts";

export async function handlePlanBatch(batch: MessageBatch<PlanMessage>, env: Env): Promise<void> {
  await heartbeat(env, batch.queue);
  for (const msg of batch.messages) await planOne(msg, env);
}

/**
 * A plan attempt leaves a marker in R2 while it runs (`planAttemptKey`), deleted however it
 * ends — read, refused, failed, or retried after an error it caught. An attempt that finds the
 * marker of an earlier one knows that attempt died without finishing: the platform ended it
 * (past `[limits] cpu_ms`, or out of memory), and reading the same book again would do the
 * same. The job fails `cpu_time_exceeded` instead of three more attempts of identical work.
 * (A Worker stopped mid-plan for another reason, a deploy or a restart, looks the same: its job
 * fails too, and can be processed again.)
 */
/** What a plan attempt leaves in R2 while it runs; only its own end removes it. */
interface AttemptMarker {
  attempt: number;
  started_at: string;
  /** Earlier attempts found dead early (a restart, a deploy), before this one. */
  deaths?: number;
}

/**
 * Whether an earlier attempt died without finishing, in a way that trying again would repeat:
 * it ran at least as long as the plan may (the platform's cpu_ms, or memory, ended it), or an
 * attempt died before it already. One that died sooner (a restart or a deploy ending the
 * isolate) is tried once more; `deaths` counts such early deaths for the next attempt.
 */
async function earlierAttemptDied(env: Env, jobId: string, attempts: number): Promise<{ died: boolean; deaths: number }> {
  if (attempts < 2) return { died: false, deaths: 0 };
  const obj = await env.FILES.get(planAttemptKey(jobId));
  if (!obj) return { died: false, deaths: 0 };
  let marker: AttemptMarker | null = null;
  try {
    marker = JSON.parse(await obj.text()) as AttemptMarker;
  } catch {
    /* unreadable: taken as a death */
  }
  const ran = marker ? Date.now() - Date.parse(marker.started_at) : Number.POSITIVE_INFINITY;
  const deaths = marker?.deaths ?? 0;
  return { died: !(ran < config(env).PLAN_TIME_MS && deaths === 0), deaths: deaths + 1 };
}

const DIED =
  "Reading this book stopped without finishing: it needs more time (or memory) than the server gives one job, and trying again would stop the same way. " +
  "Send it as separate jobs of fewer pages (or in smaller parts).";

async function planOne(msg: Message<PlanMessage>, env: Env) {
  const parsed = PlanMessageSchema.safeParse(msg.body);
  if (!parsed.success) return msg.ack(); // not ours: nothing could ever process it
  const jobId = parsed.data.job_id;
  const t = tracker(env, jobId);
  const earlier = await earlierAttemptDied(env, jobId, msg.attempts);
  if (earlier.died) {
    console.error("plan: an earlier attempt died without finishing", jobId, msg.attempts);
    await t.fail("cpu_time_exceeded", DIED);
    await env.FILES.delete(planAttemptKey(jobId));
    return msg.ack();
  }
  // The plan's own deadline, checked before each page (see Deadline): below cpu_ms.
  const limit = config(env).PLAN_TIME_MS;
  const deadline: Deadline = { at: Date.now() + limit, ms: limit };
  const marker: AttemptMarker = { attempt: msg.attempts, started_at: new Date().toISOString(), deaths: earlier.deaths };
  await env.FILES.put(planAttemptKey(jobId), JSON.stringify(marker));
  try {
    await planAttempt(msg, env, jobId, t, deadline);
  } finally {
    await env.FILES.delete(planAttemptKey(jobId));
  }
}

async function planAttempt(msg: Message<PlanMessage>, env: Env, jobId: string, t: ReturnType<typeof tracker>, deadline: Deadline) {
  try {
    const row = await db(env.DB).select().from(jobs).where(eq(jobs.id, jobId)).get();
    if (!row) return msg.ack(); // deleted meanwhile
    if (!(await t.planning())) return msg.ack(); // cancelled before it began
    const settings = JobSettingsSchema.parse(JSON.parse(row.settings));
    const pages = settings.pages ? parsePages(settings.pages) : null;
    // A book sent in parts is read part by part (its part 1 may sit where a single file would).
    if (row.part_count) {
      await planParts(env, t, row, settings, deadline);
      return msg.ack();
    }
    // A job processed again reads the files uploaded with the job they came with.
    const src = row.source_job_id ?? jobId;
    const obj = await env.FILES.get(sourceKey(src));
    const images = obj ? null : await loadPageImages(env.FILES, src);
    if (images) {
      if (!env.GEMINI_API_KEY) {
        await t.fail(
          "no_text_layer",
          "These page images have no text layer. Text recognition needs the Gemini engine, which is not configured on this server.",
        );
        return msg.ack();
      }
      await planScan(env, t, jobId, imageRanges(env.FILES, images, SCAN_PAGES_PER_CHUNK, SCAN_CHUNK_IMAGE_BYTES, pages), images.length);
      return msg.ack();
    }
    if (!obj) {
      if (row.source_job_id) await t.fail("source_expired", SOURCE_GONE);
      else await t.fail("file_missing", "The uploaded file could not be found. Please upload it again.");
      return msg.ack();
    }
    // Its size (R2's record) before pdf.js or pdf-lib sees a byte of it.
    if (!(await refuseOversized(env, t, obj.size))) {
      await obj.body.cancel();
      return msg.ack();
    }
    // Handed over to pdf.js, so the file is held once while it is read (a scan reads it again).
    const plan = await planDocument(new Uint8Array(await obj.arrayBuffer()), {
      fixHyphenation: settings.fix_hyphenation,
      maxChunkChars: chunkChars(env),
      handOver: true,
      pages,
      deadline,
    }).catch((e: unknown) => {
      // A scan has no text to cut into paragraphs: with Gemini on, its pages are read instead.
      if (e instanceof PipelineError && e.code === "no_text_layer" && env.GEMINI_API_KEY) return null;
      throw e;
    });
    if (!plan) {
      const again = await env.FILES.get(sourceKey(src));
      if (!again) throw new Error("the uploaded file vanished while it was read");
      await planScan(env, t, jobId, pageRanges(new Uint8Array(await again.arrayBuffer()), SCAN_PAGES_PER_CHUNK, { handOver: true, pages }));
      return msg.ack();
    }
    await putAll(
      env,
      plan.chunks.map((c) => [chunkKey(jobId, c.index), JSON.stringify(c)] as const),
    );
    await startChunks(env, t, jobId, plan.chunks, plan.pageCount, plan.bookPages);
    msg.ack();
  } catch (err) {
    if (err instanceof PipelineError) {
      await t.fail(err.code, err.message);
      return msg.ack();
    }
    if (msg.attempts >= PLAN_MAX_ATTEMPTS) {
      console.error("plan failed for good", jobId, err);
      await t.fail("processing_error", "The upload could not be read because of an internal error. Please try again.");
      return msg.ack();
    }
    console.warn("plan attempt failed, retrying", jobId, msg.attempts, String(err));
    msg.retry({ delaySeconds: backoffSeconds(msg.attempts, retryBase(env)) });
  }
}
