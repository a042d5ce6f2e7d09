import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRequester, Jar, setFault, signInWithGoogle, type Flow } from "../fixtures/oidc-flow";
import { CORPUS, startStack, upload, waitFor, type Stack } from "./stack";

// Accounts on the real `npm start` stack over HTTP: "Sign in with Google" through the local
// provider npm start runs (its own port, real redirects, a cookie jar), an API key made by the
// signed-in reader, the README's curl calls with it, its revocation; sockets that follow.
// Locally workerd does not deliver a close frame that a Durable Object starts outside a
// WebSocket event, so the sockets here end on the server's notice (the workers tests, where
// the close frame does arrive, check the 4001 close code).

const EXTRAIT = readFileSync(path.join(CORPUS, "novels/maupassant-une-vie-extrait.pdf"));

let stack: Stack;
let flow: Flow;

beforeAll(async () => {
  stack = await startStack();
  flow = { app: appRequester(stack.url, (url, init) => fetch(url, init)), provider: stack.oidc };
});

afterAll(async () => {
  await stack?.stop();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/**
 * Opens a job's event socket with a header credential; resolves once the first event came.
 * `ended` resolves when the server says the credential ended: its `credential_ended` notice
 * (the client then closes, as ours does) or a close with code 4001, whichever comes first.
 */
async function openEvents(jobId: string, headers: Record<string, string>) {
  // Node's WebSocket (undici) takes headers, as a program's client would send them.
  const ws = new WebSocket(`${stack.url.replace("http", "ws")}/api/v1/jobs/${jobId}/events`, { headers } as any);
  const ended = new Promise<string>((resolve) => {
    ws.addEventListener("close", (e) => resolve(`close ${e.code}`));
    ws.addEventListener("message", (m) => {
      const body = JSON.parse(String(m.data));
      if (body.type === "credential_ended") {
        ws.close();
        resolve("credential_ended");
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("message", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error("websocket refused")), { once: true });
  });
  return { ws, ended };
}

const within = <T>(p: Promise<T>, ms = 10_000) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timed out")), ms))]);

describe("accounts on the local stack", () => {
  let jar: Jar;
  let key: { id: string; key: string };
  let jobId: string;

  it("signs in through the provider over real redirects and lands signed in", async () => {
    const { res, jar: j, callbackUrl } = await signInWithGoogle(flow, "lecteur@example.com", new Jar(), "/jobs");
    jar = j;
    expect(new URL(callbackUrl).origin).toBe(stack.url);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/jobs");
    const me = await flow.app(jar, "/api/v1/me");
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { email: "lecteur@example.com", name: "Lecteur" }, auth: "session" });
    // The app page itself, as the browser would then load it.
    expect((await flow.app(jar, "/jobs")).status).toBe(200);
  });

  it("refuses a provider answer that fails verification, on a plain page", async () => {
    await setFault(flow, "wrong_audience");
    try {
      const { res, jar: j } = await signInWithGoogle(flow, "mallory@example.com");
      expect(res.status).toBe(400);
      expect(await res.text()).toContain("Sign-in failed");
      expect(j.cookies.has("fnt_session")).toBe(false);
    } finally {
      await setFault(flow, null);
    }
  });

  it("the provider is strict: wrong client secret, foreign redirect URI and missing PKCE are refused", async () => {
    const authorize = await flow.app(new Jar(), "/api/v1/auth/google");
    const url = new URL(authorize.headers.get("location")!);
    const foreign = new URL(url);
    foreign.searchParams.set("redirect_uri", "http://evil.example/callback");
    const refused = await fetch(foreign, { redirect: "manual" });
    expect(refused.status).toBe(400); // never redirected to an unregistered URI
    const noPkce = new URL(url);
    noPkce.searchParams.delete("code_challenge");
    const r = await fetch(noPkce, { redirect: "manual" });
    expect(r.status).toBe(302);
    expect(new URL(r.headers.get("location")!).searchParams.get("error")).toBe("invalid_request");
    const token = await fetch(`${stack.oidc}/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from("french-novel-tool-local:wrong").toString("base64")}`,
      },
      body: "grant_type=authorization_code&code=x&redirect_uri=x&code_verifier=x",
    });
    expect(token.status).toBe(401);
    expect(((await token.json()) as any).error).toBe("invalid_client");
  });

  it("makes an API key that the README's curl calls then use", async () => {
    const created = await flow.app(jar, "/api/v1/api-keys", {
      method: "POST",
      headers: { "content-type": "application/json", origin: stack.url },
      body: JSON.stringify({ name: "curl" }),
    });
    expect(created.status).toBe(201);
    key = (await created.json()) as any;
    expect(key.key).toMatch(/^fnt_/);

    const res = await upload(stack.url, key.key, EXTRAIT, "extrait.pdf", { sentence_length_limit: "25" });
    expect(res.status).toBe(202);
    jobId = ((await res.json()) as any).id;
    const job = await waitFor(
      async () => {
        const j = (await (await fetch(`${stack.url}/api/v1/jobs/${jobId}`, { headers: bearer(key.key) })).json()) as any;
        return j.status === "completed" ? j : undefined;
      },
      60_000,
      "the job to complete",
    );
    expect(job.sentence_count).toBeGreaterThan(50);
    const txt = await fetch(`${stack.url}/api/v1/jobs/${jobId}/result?format=txt`, { headers: bearer(key.key) });
    expect(txt.status).toBe(200);
    expect((await txt.text()).split("\n").length).toBeGreaterThan(50);
  });

  it("a foreign page cannot use the reader's cookie to change anything", async () => {
    const r = await flow.app(jar, "/api/v1/api-keys", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://evil.example" },
      body: JSON.stringify({ name: "stolen" }),
    });
    expect(r.status).toBe(403);
    const del = await flow.app(jar, `/api/v1/jobs/${jobId}`, { method: "DELETE", headers: { origin: "http://evil.example" } });
    expect(del.status).toBe(403);
    expect((await fetch(`${stack.url}/api/v1/jobs/${jobId}`, { headers: bearer(key.key) })).status).toBe(200);
  });

  it("revoking the key closes its socket and refuses it at once", async () => {
    const s = await openEvents(jobId, bearer(key.key));
    const del = await flow.app(jar, `/api/v1/api-keys/${key.id}`, { method: "DELETE", headers: { origin: stack.url } });
    expect(del.status).toBe(204);
    expect(["credential_ended", "close 4001"]).toContain(await within(s.ended));
    expect((await fetch(`${stack.url}/api/v1/jobs/${jobId}`, { headers: bearer(key.key) })).status).toBe(401);
  });

  it("signing out closes the session's socket and ends the session; others see nothing of it", async () => {
    const s = await openEvents(jobId, { cookie: jar.header().cookie!, origin: stack.url });
    const stranger = await signInWithGoogle(flow, "etranger@example.com");
    expect((await flow.app(stranger.jar, `/api/v1/jobs/${jobId}`)).status).toBe(404);
    expect((await flow.app(stranger.jar, `/api/v1/jobs/${jobId}/result`)).status).toBe(404);
    const keys = (await (await flow.app(stranger.jar, "/api/v1/api-keys")).json()) as any;
    expect(keys.api_keys).toEqual([]);

    const out = await flow.app(jar, "/api/v1/auth/signout", { method: "POST", headers: { origin: stack.url } });
    expect(out.status).toBe(204);
    expect(["credential_ended", "close 4001"]).toContain(await within(s.ended));
    expect(jar.cookies.has("fnt_session")).toBe(false);
    expect((await flow.app(stranger.jar, "/api/v1/me")).status).toBe(200);
  });
});
