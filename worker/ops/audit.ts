import { auditLog } from "../../schema/db";
import type { Caller } from "../core/types";
import { db, nowIso } from "../core/db";

/** Writes the record of an operator's action: who, what, when, on what. */
export async function audit(
  env: Env,
  who: Caller,
  action: string,
  target: { type: string; id?: string | null },
  detail?: unknown,
): Promise<void> {
  await db(env.DB)
    .insert(auditLog)
    .values({
      at: nowIso(),
      actor_id: who.user.id,
      actor_email: who.user.email,
      action,
      target_type: target.type,
      target_id: target.id ?? null,
      detail: detail === undefined ? null : JSON.stringify(detail),
    });
}
