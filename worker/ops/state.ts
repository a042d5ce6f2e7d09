import { eq } from "drizzle-orm";
import { serviceState } from "../../schema/db";
import { db, nowIso } from "../core/db";

/** Service-wide switches and heartbeats, one row each in D1. */
export async function getState(env: Env, key: string): Promise<string | null> {
  const row = await db(env.DB).select().from(serviceState).where(eq(serviceState.key, key)).get();
  return row?.value ?? null;
}

export async function setState(env: Env, key: string, value: string): Promise<void> {
  const now = nowIso();
  await db(env.DB)
    .insert(serviceState)
    .values({ key, value, updated_at: now })
    .onConflictDoUpdate({ target: serviceState.key, set: { value, updated_at: now } });
}

export const INTAKE_KEY = "intake_paused";
export const intakePaused = async (env: Env) => (await getState(env, INTAKE_KEY)) === "1";

/** A consumer says it ran (the console's "last run" per queue). Never fails the batch. */
export async function heartbeat(env: Env, queue: string): Promise<void> {
  await setState(env, `consumer:${queue}`, nowIso()).catch(() => undefined);
}

export async function heartbeats(env: Env): Promise<Record<string, string>> {
  const rows = await db(env.DB).select().from(serviceState).all();
  return Object.fromEntries(rows.filter((r) => r.key.startsWith("consumer:")).map((r) => [r.key.slice(9), r.value]));
}

/** Adds to a counter kept in D1 (never goes backwards: nothing subtracts or deletes it). */
export async function addToCounter(env: Env, key: string, amount: number): Promise<void> {
  if (!amount) return;
  const now = nowIso();
  await env.DB.prepare(
    `INSERT INTO service_state (key, value, updated_at) VALUES (?1, ?2, ?3)
     ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + ?2 AS TEXT), updated_at = ?3`,
  )
    .bind(`counter:${key}`, String(Math.round(amount)), now)
    .run();
}
