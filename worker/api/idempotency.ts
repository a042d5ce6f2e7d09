import { and, eq, lt } from "drizzle-orm";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { idempotencyKeys } from "../../schema/db";
import { db, nowIso } from "../core/db";
import { ApiError } from "../core/errors";
import type { AppEnv } from "../core/types";
import { hashText } from "../core/idempotency";
import type { UploadResult } from "./upload";

/** How long a key and its answer are kept. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
/** Headers of the first answer that a replay repeats. */
const REPLAYED_HEADERS = ["Location", "Content-Type", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"];

/** What an upload asked for, whatever multipart boundary carried it: fields and the files' hashes. */
export function uploadFingerprint(u: UploadResult): string {
  // Every file counts: page images, or each part of a book sent in parts (one file: as before).
  const files = u.images
    ? u.images.map((i) => ({ name: i.filename, size: i.size, sha256: i.sha256 }))
    : u.files && u.files.length !== 1
      ? u.files.map((f) => ({ name: f.filename, size: f.size, sha256: f.sha256 }))
      : [{ name: u.file.filename, size: u.file.size, sha256: u.file.sha256 }];
  const fields = Object.keys(u.fields)
    .sort()
    .map((k) => [k, u.fields[k]]);
  return hashText(JSON.stringify({ fields, files }));
}

/** A JSON body's fingerprint: its parsed value with keys sorted (spacing and order do not count). */
export function jsonFingerprint(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return hashText(JSON.stringify(canonical(value)));
}

/** An R2 bucket that keeps nothing: a replayed upload is read (and hashed) but never stored. */
export const nullBucket = {
  put: async () => null,
  head: async () => null,
  delete: async () => undefined,
  createMultipartUpload: async (key: string) => ({
    key,
    uploadId: "none",
    uploadPart: async (partNumber: number) => ({ partNumber, etag: "none" }),
    complete: async () => null,
    abort: async () => undefined,
  }),
} as unknown as R2Bucket;

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * Idempotency-Key for a job-creating route. The first request with a key is answered and
 * its answer kept (failures are not kept: the same key may try again); the same key and the
 * same request within 24 h get that answer again (`Idempotent-Replayed: true`) with no new
 * job, reservation or charge; another request under the key → 422; a retry while the first
 * is still being answered → 409. Keys belong to a user.
 *
 * The handler reports the request's fingerprint with `c.set("fingerprint", …)`; a replay
 * computes it with `fingerprintOf` (reading the body, storing nothing).
 */
export function idempotent(route: string, fingerprintOf: (c: Context<AppEnv>) => Promise<string>) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const key = c.req.header("Idempotency-Key");
    if (key === undefined) return next();
    if (!KEY_PATTERN.test(key)) {
      throw new ApiError(400, "invalid_field", "Idempotency-Key: must be 1 to 255 visible ASCII characters.", "Idempotency-Key");
    }
    const userId = c.get("userId");
    const d = db(c.env.DB);
    const now = nowIso();
    await d
      .delete(idempotencyKeys)
      .where(and(eq(idempotencyKeys.user_id, userId), eq(idempotencyKeys.key, key), lt(idempotencyKeys.expires_at, now)));
    const claimed = await d
      .insert(idempotencyKeys)
      .values({
        user_id: userId,
        key,
        route,
        state: "in_progress",
        created_at: now,
        expires_at: new Date(Date.now() + IDEMPOTENCY_TTL_MS).toISOString(),
      })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key })
      .all();
    if (claimed.length === 0) return replay(c, userId, key, route, fingerprintOf);

    const forget = () => d.delete(idempotencyKeys).where(and(eq(idempotencyKeys.user_id, userId), eq(idempotencyKeys.key, key)));
    try {
      await next();
    } catch (err) {
      await forget();
      throw err;
    }
    const fingerprint = c.get("fingerprint");
    if (c.error || c.res.status >= 400 || !fingerprint) {
      await forget();
      return;
    }
    const headers = Object.fromEntries(REPLAYED_HEADERS.flatMap((h) => (c.res.headers.has(h) ? [[h, c.res.headers.get(h)!]] : [])));
    await d
      .update(idempotencyKeys)
      .set({ state: "done", fingerprint, status: c.res.status, body: await c.res.clone().text(), headers: JSON.stringify(headers) })
      .where(and(eq(idempotencyKeys.user_id, userId), eq(idempotencyKeys.key, key)));
  });
}

async function replay(
  c: Context<AppEnv>,
  userId: string,
  key: string,
  route: string,
  fingerprintOf: (c: Context<AppEnv>) => Promise<string>,
) {
  const row = await db(c.env.DB)
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.user_id, userId), eq(idempotencyKeys.key, key)))
    .get();
  if (!row) throw new ApiError(409, "idempotency_in_progress", "A request with this Idempotency-Key was just answered; try again.");
  if (row.route !== route) {
    throw new ApiError(422, "idempotency_key_reused", "This Idempotency-Key was used for another kind of request.", "Idempotency-Key");
  }
  if (row.state !== "done") {
    throw new ApiError(409, "idempotency_in_progress", "A request with this Idempotency-Key is still being answered; try again shortly.");
  }
  if ((await fingerprintOf(c)) !== row.fingerprint) {
    throw new ApiError(422, "idempotency_key_reused", "This Idempotency-Key was used with a different request body.", "Idempotency-Key");
  }
  for (const [k, v] of Object.entries(JSON.parse(row.headers ?? "{}") as Record<string, string>)) c.header(k, v);
  c.header("Idempotent-Replayed", "true");
  return c.body(row.body ?? "", (row.status ?? 200) as 200);
}
