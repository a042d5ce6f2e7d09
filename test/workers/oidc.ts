import { SELF } from "cloudflare:test";
import * as shared from "../fixtures/oidc-flow";

// The shared sign-in flow (test/fixtures/oidc-flow.ts) with the app reached through SELF and
// the provider that vitest.config.ts serves at http://oidc.test.

export { Jar } from "../fixtures/oidc-flow";
export const OIDC = "http://oidc.test";
const flow: shared.Flow = { app: shared.appRequester("http://localhost", (url, init) => SELF.fetch(url, init)), provider: OIDC };

export const appRequest = flow.app;
export const setFault = (fault: string | null, email?: string) => shared.setFault(flow, fault, email);
export const startSignIn = (jar: shared.Jar, returnTo?: string) => shared.startSignIn(flow, jar, returnTo);
export const approve = (authorizeUrl: string, email: string) => shared.approve(flow, authorizeUrl, email);
export const signInWithGoogle = (email: string, jar?: shared.Jar, returnTo?: string) => shared.signInWithGoogle(flow, email, jar, returnTo);

/** "Export to Google Sheets" → the provider's consent → back to the app. */
export async function connectSheets(jar: shared.Jar, email: string, returnTo = "/jobs/x?sheets=1") {
  const r = await appRequest(jar, `/api/v1/integrations/google-sheets/connect?return_to=${encodeURIComponent(returnTo)}`);
  if (r.status !== 302) throw new Error(`connect answered ${r.status}`);
  const authorize = r.headers.get("location")!;
  const back = await appRequest(jar, await approve(authorize, email));
  return { authorize: new URL(authorize), back };
}
