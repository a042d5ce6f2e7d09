import { SELF } from "cloudflare:test";

// Sign-in with Google as a browser does it, against the local provider that vitest.config.ts
// serves at http://oidc.test: the app's redirect, the provider's page and form, the callback.

export const OIDC = "http://oidc.test";

/** A browser's cookies for the app's origin. */
export class Jar {
  readonly cookies = new Map<string, string>();

  absorb(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): Record<string, string> {
    return this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ") } : {};
  }
}

/** The app's own request, as the browser sends it (with its cookies). */
export async function appRequest(jar: Jar, path: string, init: RequestInit = {}): Promise<Response> {
  const res = await SELF.fetch(new URL(path, "http://local").href, {
    redirect: "manual",
    ...init,
    headers: { ...jar.header(), ...(init.headers as Record<string, string>) },
  });
  jar.absorb(res);
  return res;
}

export async function setFault(fault: string | null) {
  const r = await fetch(`${OIDC}/__faults`, { method: "POST", body: JSON.stringify({ fault }) });
  if (!r.ok) throw new Error(`fault ${fault}: ${r.status}`);
}

/** "Sign in with Google" → the provider's authorize URL. */
export async function startSignIn(jar: Jar, returnTo = "/"): Promise<string> {
  const r = await appRequest(jar, `/api/v1/auth/google?return_to=${encodeURIComponent(returnTo)}`);
  if (r.status !== 302) throw new Error(`sign-in start answered ${r.status}: ${await r.text()}`);
  return r.headers.get("location")!;
}

/** Types the email on the provider's page and presses Continue → the app's callback URL. */
export async function approve(authorizeUrl: string, email: string): Promise<string> {
  const page = await fetch(authorizeUrl);
  const html = await page.text();
  if (page.status !== 200 || !html.includes(">Continue<")) throw new Error(`provider page ${page.status}: ${html}`);
  const form = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([a-z_]+)" value="([^"]*)">/g)) {
    form.set(m[1]!, m[2]!.replace(/&amp;/g, "&").replace(/&quot;/g, '"'));
  }
  form.set("email", email);
  const r = await fetch(`${OIDC}/authorize`, { method: "POST", body: form, redirect: "manual" });
  if (r.status !== 302) throw new Error(`provider answered ${r.status}: ${await r.text()}`);
  return r.headers.get("location")!;
}

/** The whole flow; returns the callback's answer (302 to the app when all went well). */
export async function signInWithGoogle(email: string, jar = new Jar(), returnTo = "/") {
  const callbackUrl = await approve(await startSignIn(jar, returnTo), email);
  const res = await appRequest(jar, callbackUrl);
  return { res, jar, callbackUrl };
}
