import { SELF } from "cloudflare:test";
import * as shared from "../fixtures/oidc-flow";

// The shared sign-in flow (test/fixtures/oidc-flow.ts) with the app reached through SELF and
// the provider that vitest.config.ts serves at http://oidc.test.

export { Jar } from "../fixtures/oidc-flow";
export const OIDC = "http://oidc.test";
const flow: shared.Flow = { app: shared.appRequester("http://localhost", (url, init) => SELF.fetch(url, init)), provider: OIDC };

export const appRequest = flow.app;
export const setFault = (fault: string | null) => shared.setFault(flow, fault);
export const startSignIn = (jar: shared.Jar, returnTo?: string) => shared.startSignIn(flow, jar, returnTo);
export const approve = (authorizeUrl: string, email: string) => shared.approve(flow, authorizeUrl, email);
export const signInWithGoogle = (email: string, jar?: shared.Jar, returnTo?: string) =>
  shared.signInWithGoogle(flow, email, jar, returnTo);
