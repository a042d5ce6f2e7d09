import { SELF } from "cloudflare:test";

/** A request to the API Worker, as the browser or curl would send it. */
export const api = (path: string, init?: RequestInit) => SELF.fetch(`http://local${path}`, init);

/** A token from the development sign-in. */
export async function signIn(email: string): Promise<string> {
  const r = await api("/api/v1/auth/dev", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email }),
  });
  if (r.status !== 200) throw new Error(`sign-in answered ${r.status}`);
  return ((await r.json()) as { token: string }).token;
}
