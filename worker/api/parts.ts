import type { Context } from "hono";
import { CreatePartsJobSchema } from "../../schema/api";
import { creditAccount, quotaExceeded, storageQuota, storageUsed } from "../credits/service";
import { nowIso } from "../core/db";
import { partKey } from "../jobs/keys";
import { maxPartBytes, megabytes, partsTtlMs } from "../jobs/part-limits";
import { endUpload, listParts, partsView, startIfComplete, storePart, uploadLapsed } from "../jobs/parts";
import { ownJob, toPublicJob } from "../jobs/service";
import { ApiError } from "../core/errors";
import type { AppEnv } from "../core/types";
import { cleanFilename, receivePdfBody } from "./upload";
import { validate } from "./validate";
import { config } from "../core/config";

/**
 * A book sent one request per part, so that no request is bigger than a part: the job is
 * created `uploading` with its number of parts (POST /api/v1/jobs {"parts": N}), each part
 * is sent as the body of PUT /api/v1/jobs/:id/parts/:n, and the job starts when the last
 * missing part is stored. Sending a part again replaces it.
 */

/** What a job sent in parts is created with: its count and name; the rest are its settings and webhook fields. */
export function partsJobInput(body: Record<string, unknown>) {
  const { parts, filename, ...rest } = body;
  const p = validate(CreatePartsJobSchema, { parts, filename });
  const fields = Object.fromEntries(
    Object.entries(rest).map(([k, v]) => [k, k.startsWith("webhook_") && v !== null && v !== undefined ? String(v) : v]),
  ) as Record<string, string>;
  return { parts: p.parts, filename: cleanFilename(p.filename, "upload.pdf"), fields };
}

/** "attachment; filename=\"part 2.pdf\"" → "part 2.pdf" (optional: parts need no name). */
function dispositionFilename(header: string | undefined): string | undefined {
  const m = header ? /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header) : null;
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return m[1];
  }
}

/** A job that can take part `n` now, or the answer why not. */
async function jobTakingParts(env: Env, userId: string, jobId: string, rawN: string) {
  const row = await ownJob(env, userId, jobId);
  if (uploadLapsed(row)) {
    // Past its deadline: ended here if the cron has not done it yet.
    await endUpload(env, row, "failed", lapsedError(row), nowIso());
    throw new ApiError(
      410,
      "upload_expired",
      "This job's upload expired before all its parts arrived; its parts were deleted. Create the job again.",
    );
  }
  if (row.status !== "uploading" || !row.part_count) {
    throw new ApiError(
      409,
      "job_not_uploading",
      row.part_count
        ? `This job is ${row.status}: it takes no more parts.`
        : `This job is ${row.status} and was not created to take parts (POST /api/v1/jobs with {"parts": N} creates one).`,
    );
  }
  const n = /^\d{1,4}$/.test(rawN) ? Number(rawN) : NaN;
  if (!(n >= 1 && n <= row.part_count)) {
    throw new ApiError(400, "invalid_part", `Parts of this job are numbered 1 to ${row.part_count}.`, "n");
  }
  return { row, n };
}

const lapsedError = (row: { parts_received: number; part_count: number | null }) => ({
  code: "upload_incomplete",
  message:
    `Only ${row.parts_received} of the ${row.part_count} parts arrived before the upload expired, so the job did not start ` +
    `and the parts sent were deleted. Create the job again and send every part.`,
});

/** PUT /api/v1/jobs/:id/parts/:n — the body is the part's PDF (Content-Type: application/pdf). */
export async function putPart(c: Context<AppEnv>) {
  const userId = c.get("userId");
  const { row, n } = await jobTakingParts(c.env, userId, c.req.param("id")!, c.req.param("n")!);
  const account = creditAccount(c.env, userId);
  const key = partKey(row.id, n, crypto.randomUUID().slice(0, 8));
  // The whole job stays within MAX_UPLOAD_BYTES, and the user within their storage quota
  // (which already counts this job's parts, the one replaced included). The part's bytes are
  // held in the user's CreditAccount while it streams, so parts sent at once cannot all take
  // the same room; the stored figures are read after the ticket (worker/credits/account.ts).
  const ticket = await account.byteTicket();
  const parts = await listParts(c.env, row.id);
  const replaced = parts.find((p) => p.n === n);
  const uploadLimit = config(c.env).MAX_UPLOAD_BYTES;
  const others = parts.reduce((s, p) => s + (p.n === n ? 0 : p.size), 0);
  const quota = storageQuota(c.env);
  const used = (await storageUsed(c.env, userId)) - (replaced?.size ?? 0);
  const declared = Number(c.req.header("content-length") ?? Number.NaN);
  const maxFileBytes = maxPartBytes(c.env);
  // A declared length over the part limit is refused as too_large by receivePdfBody below.
  const exact = declared > 0 && declared <= maxFileBytes;
  const hold = await account.holdBytes({
    key,
    job_id: row.id,
    want: exact ? declared : maxFileBytes,
    exact,
    ticket,
    user_used: used,
    quota,
    job_used: others,
    job_limit: uploadLimit,
  });
  const overLimit = (limit: "quota" | "job" | null, h: { used: number; job_used: number }) =>
    limit === "quota"
      ? (field: string) => quotaExceeded(h.used, quota, field)
      : (field: string) =>
          new ApiError(
            413,
            "file_too_large",
            `The parts of a job may hold ${megabytes(uploadLimit)} together, and the other parts of this one hold ${megabytes(h.job_used)}.`,
            field,
          );
  // Refused: nothing may stream, and the first byte (or the declared length) gets the limit's error.
  const release = () => account.releaseBytes(key).catch(() => undefined);
  let file: Awaited<ReturnType<typeof receivePdfBody>>;
  try {
    file = await receivePdfBody(c.req.raw, c.env.FILES, key, {
      maxBytes: hold.ok ? hold.bytes : 0,
      overLimit: overLimit(hold.ok ? hold.tighter : hold.limit, hold),
      maxFileBytes,
      label: `Part ${n}`,
      filename: cleanFilename(dispositionFilename(c.req.header("content-disposition")), `part-${n}.pdf`),
    });
  } catch (err) {
    await release();
    throw err;
  }
  const expiresAt = new Date(Date.now() + partsTtlMs(c.env)).toISOString();
  const stored = await storePart(c.env, row.id, n, file, expiresAt).catch(async (err: unknown) => {
    await release();
    throw err;
  });
  if (!stored) {
    await release();
    // The job started, was cancelled or lapsed while this part was on its way.
    await c.env.FILES.delete(key);
    const now = await ownJob(c.env, userId, row.id);
    if (uploadLapsed(now)) throw new ApiError(410, "upload_expired", "This job's upload expired before all its parts arrived.");
    throw new ApiError(409, "job_not_uploading", `This job is ${now.status}: it takes no more parts.`);
  }
  // D1 has the part now: its hold counts only for requests that read D1 before.
  await account.settleBytes(key, file.size).catch(release);
  let fresh = await ownJob(c.env, userId, row.id);
  let started = false;
  if (fresh.parts_received === fresh.part_count) {
    const claimed = await startIfComplete(c.env, fresh);
    started = claimed !== null;
    // Unclaimed: another part's request started it (or a cancel ended it) meanwhile.
    fresh = claimed ?? (await ownJob(c.env, userId, row.id));
  }
  const view = partsView(fresh, await listParts(c.env, row.id));
  const part = view.parts.find((p) => p.n === n)!;
  c.header("Location", `/api/v1/jobs/${row.id}`);
  // 202 when this part completed the book and the job started; 200 while parts are missing.
  return c.json({ job: toPublicJob(fresh), part, ...view }, started ? 202 : 200);
}

/** GET /api/v1/jobs/:id/parts — the parts stored and those missing. */
export async function getParts(c: Context<AppEnv>) {
  const row = await ownJob(c.env, c.get("userId"), c.req.param("id")!);
  return c.json(partsView(row, await listParts(c.env, row.id)), 200);
}
