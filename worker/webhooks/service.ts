import { and, asc, eq, inArray } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import type { Job, WebhookEventBody } from "../../schema/api";
import { webhookAttempts, webhookDeliveries, webhookSettings } from "../../schema/db";
import { db, nowIso } from "../core/db";
import { config } from "../core/config";

// Webhooks per the Standard Webhooks spec (https://www.standardwebhooks.com), signed with the
// `standardwebhooks` library. A user's signing secret is derived, not stored:
// HMAC-SHA256(WEBHOOK_SIGNING_KEY, "<user id>:<version>"); rotating bumps the version.

export type WebhookEvent = WebhookEventBody["type"];

/** Deliveries are tried for this long, then given up. */
export const DELIVERY_WINDOW_MS = 24 * 3600_000;
const MAX_DELAY_SECONDS = 3 * 3600;
const TIMEOUT_MS = 10_000;

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

async function settingsRow(env: Env, userId: string) {
  return db(env.DB).select().from(webhookSettings).where(eq(webhookSettings.user_id, userId)).get();
}

/** The user's current signing secret, in the `whsec_…` form receivers' libraries take. */
export async function signingSecret(env: Env, userId: string): Promise<string> {
  if (!env.WEBHOOK_SIGNING_KEY) throw new Error("WEBHOOK_SIGNING_KEY is not configured");
  const version = (await settingsRow(env, userId))?.secret_version ?? 1;
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(env.WEBHOOK_SIGNING_KEY),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${userId}:${version}`));
  return `whsec_${b64(new Uint8Array(mac))}`;
}

export async function rotateSecret(env: Env, userId: string): Promise<string> {
  const now = nowIso();
  await env.DB.prepare(
    `INSERT INTO webhook_settings (user_id, secret_version, updated_at) VALUES (?1, 2, ?2)
     ON CONFLICT(user_id) DO UPDATE SET secret_version = secret_version + 1, updated_at = ?2`,
  )
    .bind(userId, now)
    .run();
  return signingSecret(env, userId);
}

export async function getWebhookSettings(env: Env, userId: string) {
  const row = await settingsRow(env, userId);
  return { default_url: row?.default_url ?? null, progress_every: row?.progress_every ?? null };
}

export async function putWebhookSettings(env: Env, userId: string, s: { default_url: string | null; progress_every: number | null }) {
  const now = nowIso();
  await db(env.DB)
    .insert(webhookSettings)
    .values({ user_id: userId, default_url: s.default_url, progress_every: s.progress_every, updated_at: now })
    .onConflictDoUpdate({
      target: webhookSettings.user_id,
      set: { default_url: s.default_url, progress_every: s.progress_every, updated_at: now },
    });
  return getWebhookSettings(env, userId);
}

export interface JobHooks {
  user_id: string;
  url: string;
  progress_every: number | null;
}

/**
 * The id of a job's end event: the job, its final status and how many times its failed pages
 * were retried (each retry may end it again). Whoever raises the end — the tracker, or the
 * upload of a book in parts that never started — gives it the same id: one delivery.
 */
export const endEventId = (jobId: string, status: string, retries = 0) => `msg_${jobId}_${status}_${retries}`;

/** The id of a job's progress event: the percent step reached, within the same run. */
export const progressEventId = (jobId: string, step: number, retries = 0) => `msg_${jobId}_progress_${step}_${retries}`;

/**
 * Records an event for delivery and queues it, once: the id is derived from what happened,
 * so the same event raised twice (a redelivered message) is one delivery.
 */
export async function enqueueEvent(env: Env, hooks: JobHooks, id: string, type: WebhookEvent, job: Job): Promise<void> {
  const event: WebhookEventBody = { type, timestamp: nowIso(), data: job };
  const payload = JSON.stringify(event);
  const inserted = await db(env.DB)
    .insert(webhookDeliveries)
    .values({
      id,
      job_id: job.id,
      user_id: hooks.user_id,
      event_type: type,
      url: hooks.url,
      payload,
      state: "pending",
      created_at: nowIso(),
    })
    .onConflictDoNothing()
    .returning({ id: webhookDeliveries.id })
    .all();
  if (inserted.length) await env.WEBHOOK_QUEUE.send({ delivery_id: id });
}

/** Seconds before try `attempts + 1` of a delivery: base, 2×base, 4×base… at most 3 h apart. */
export const webhookRetryDelay = (attempts: number, base: number) => Math.min(MAX_DELAY_SECONDS, base * 2 ** Math.max(0, attempts - 1));

/** One delivery try; "delivered" when the receiver took it (2xx). */
async function deliver(env: Env, deliveryId: string): Promise<"delivered" | "retry" | "gone"> {
  const d = await db(env.DB).select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId)).get();
  // A receiver that answered 2xx once gets no duplicate for that event id.
  if (d?.state !== "pending") return "gone";
  // One try at a time, whatever the queue delivers twice: the try is claimed by its number.
  const claimed = await db(env.DB)
    .update(webhookDeliveries)
    .set({ attempts: d.attempts + 1 })
    .where(and(eq(webhookDeliveries.id, d.id), eq(webhookDeliveries.state, "pending"), eq(webhookDeliveries.attempts, d.attempts)))
    .returning({ attempts: webhookDeliveries.attempts })
    .all();
  if (claimed.length === 0) return "gone";
  const attempt = claimed[0]!.attempts;
  const secret = await signingSecret(env, d.user_id);
  const now = new Date();
  const signature = new Webhook(secret).sign(d.id, now, d.payload);
  const started = Date.now();
  let status: number | null = null;
  let error: string | null = null;
  try {
    const res = await fetch(d.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "french-novel-tool-webhooks/1",
        "webhook-id": d.id,
        "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
        "webhook-signature": signature,
      },
      body: d.payload,
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    status = res.status;
    await res.body?.cancel().catch(() => undefined);
    if (status < 200 || status > 299) error = `answered ${status}`;
  } catch (err) {
    error =
      err instanceof Error && err.name === "TimeoutError"
        ? `no answer in ${TIMEOUT_MS / 1000} s`
        : `could not connect: ${String(err).slice(0, 200)}`;
  }
  const ok = error === null;
  // Recorded only while the delivery exists: its job may have been deleted during the attempt
  // (deleteJob removes the deliveries and their attempts), and nothing of it may come back.
  await env.DB.prepare(
    "INSERT INTO webhook_attempts (delivery_id, attempt, at, status, latency_ms, error) " +
      "SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM webhook_deliveries WHERE id = ?1)",
  )
    .bind(d.id, attempt, now.toISOString(), status, Date.now() - started, error)
    .run();
  const expired = Date.now() - Date.parse(d.created_at) > DELIVERY_WINDOW_MS;
  await db(env.DB)
    .update(webhookDeliveries)
    .set({ state: ok ? "delivered" : expired ? "failed" : "pending", delivered_at: ok ? nowIso() : null })
    .where(eq(webhookDeliveries.id, d.id));
  return ok ? "delivered" : expired ? "gone" : "retry";
}

/** The webhook queue's consumer: each message one try; failures back off exponentially, up to 24 h. */
export async function handleWebhookBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const base = config(env).WEBHOOK_RETRY_BASE_SECONDS;
  await Promise.all(
    batch.messages.map(async (msg) => {
      const id = (msg.body as { delivery_id?: unknown } | null)?.delivery_id;
      if (typeof id !== "string") return msg.ack();
      try {
        const outcome = await deliver(env, id);
        if (outcome === "retry") return msg.retry({ delaySeconds: webhookRetryDelay(msg.attempts, base) });
        msg.ack();
      } catch (err) {
        console.error(JSON.stringify({ msg: "webhook delivery failed to run", delivery_id: id, err: String(err) }));
        msg.retry({ delaySeconds: Math.max(1, base) });
      }
    }),
  );
}

/** GET /api/v1/jobs/:id/webhooks: every delivery of the job with its attempts. */
export async function jobDeliveries(env: Env, jobId: string) {
  const deliveries = await db(env.DB)
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.job_id, jobId))
    .orderBy(asc(webhookDeliveries.created_at))
    .all();
  // D1 binds at most 100 parameters a statement: the ids go 90 at a time (a job with progress
  // events every percent has more deliveries than that).
  const attempts: (typeof webhookAttempts.$inferSelect)[] = [];
  for (let i = 0; i < deliveries.length; i += 90) {
    const ids = deliveries.slice(i, i + 90).map((d) => d.id);
    attempts.push(
      ...(await db(env.DB)
        .select()
        .from(webhookAttempts)
        .where(inArray(webhookAttempts.delivery_id, ids))
        .orderBy(asc(webhookAttempts.id))
        .all()),
    );
  }
  return deliveries.map((d) => ({
    id: d.id,
    event_type: d.event_type,
    url: d.url,
    state: d.state,
    created_at: d.created_at,
    delivered_at: d.delivered_at,
    attempts: attempts
      .filter((a) => a.delivery_id === d.id)
      .map(({ attempt, at, status, latency_ms, error }) => ({ attempt, at, status, latency_ms, error })),
  }));
}
