import { env, SELF } from "cloudflare:test";
import { createSession } from "../../worker/auth/sessions";

/** A request to the API Worker, as the browser or curl would send it. */
export const api = (path: string, init?: RequestInit) => SELF.fetch(`http://localhost${path}`, init);

/** A session token for a user (made in D1 if new, as insertJob does). */
export async function sessionFor(userId: string): Promise<string> {
  await env.DB.prepare("INSERT OR IGNORE INTO users (id, email, issuer, subject) VALUES (?, ?, 'test', ?)")
    .bind(userId, `${userId}@example.com`, userId)
    .run();
  return (await createSession(env, userId, "test")).token;
}

/** Authorization header of a token. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A session token from the development sign-in. */
export async function signIn(email: string): Promise<string> {
  const r = await api("/api/v1/auth/dev", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email }),
  });
  if (r.status !== 200) throw new Error(`sign-in answered ${r.status}`);
  return ((await r.json()) as { token: string }).token;
}
