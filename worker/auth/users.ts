import { users } from "../../schema/db";
import { db } from "../core/db";

export interface PublicUser {
  id: string;
  email: string;
  name: string | null;
}

/** The issuer of development sign-ins (never a real provider's URL). */
export const DEV_ISSUER = "dev";

/**
 * Finds the user of an identity (issuer, subject), or creates it, in one statement: two
 * first sign-ins at once still make one user. Email and name follow the provider's latest.
 */
export async function upsertUser(
  env: Env,
  identity: { issuer: string; subject: string; email: string; name?: string | null },
): Promise<PublicUser> {
  const email = identity.email.trim().toLowerCase();
  const name = identity.name?.trim() || null;
  const row = await db(env.DB)
    .insert(users)
    .values({ id: crypto.randomUUID(), email, name, issuer: identity.issuer, subject: identity.subject })
    .onConflictDoUpdate({ target: [users.issuer, users.subject], set: { email, name } })
    .returning({ id: users.id, email: users.email, name: users.name })
    .get();
  return row;
}
