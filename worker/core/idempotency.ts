import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { lt } from "drizzle-orm";
import { idempotencyKeys } from "../../schema/db";
import { db, nowIso } from "./db";

export const hashText = (text: string) => bytesToHex(sha256(utf8ToBytes(text)));

/** For the cron: keys past their 24 hours. */
export async function purgeIdempotencyKeys(env: Env): Promise<void> {
  await db(env.DB).delete(idempotencyKeys).where(lt(idempotencyKeys.expires_at, nowIso()));
}
