import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index";
import { api, bearer, sessionFor, signIn } from "./http";

// Which engine runs and which Gemini models a job may ask for: GET /api/health and
// GET /api/v1/me say it, and uploads are checked against the configured list (GEMINI_MODELS).

const DEFAULT_MODELS = ["gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro"];
const PDF = new TextEncoder().encode("%PDF-1.7\n%%EOF\n");

/** The API Worker with some configuration changed, as `GEMINI_API_KEY=… npm start` would run it. */
async function withEnv(over: Partial<Env>, path: string, init?: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://localhost${path}`, init), { ...env, ...over } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

function upload(token: string, fields: Record<string, string>): RequestInit {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set("pdf_file", new Blob([PDF], { type: "application/pdf" }), "livre.pdf");
  return { method: "POST", headers: bearer(token), body: form };
}

describe("engine and models in health and /me", () => {
  it("the local engine (no key) allows no model", async () => {
    expect(env.GEMINI_MODELS).toBe(DEFAULT_MODELS.join(","));
    const health = (await (await api("/api/health")).json()) as any;
    expect(health).toMatchObject({ status: "ok", engine: "local", models: [] });
    const token = await signIn("engine-local@example.com");
    const me = (await (await api("/api/v1/me", { headers: bearer(token) })).json()) as any;
    expect(me).toMatchObject({ auth: "session", engine: "local", models: [] });
    expect(me.user.email).toBe("engine-local@example.com");
  });

  it("with a Gemini key: engine gemini and the configured list, in order, default first", async () => {
    const health = (await (await withEnv({ GEMINI_API_KEY: "k" }, "/api/health")).json()) as any;
    expect(health).toMatchObject({ engine: "gemini", models: DEFAULT_MODELS });
    const custom = { GEMINI_API_KEY: "k", GEMINI_MODELS: " gemini-3-flash , gemini-2.5-pro,,gemini-3-flash" };
    expect(await (await withEnv(custom, "/api/health")).json()).toMatchObject({
      engine: "gemini",
      models: ["gemini-3-flash", "gemini-2.5-pro"],
    });
    const token = await sessionFor("engine-me");
    const me = (await (await withEnv(custom, "/api/v1/me", { headers: bearer(token) })).json()) as any;
    expect(me).toEqual({
      user: { id: "engine-me", email: "engine-me@example.com", name: null },
      auth: "session",
      operator: false,
      engine: "gemini",
      models: ["gemini-3-flash", "gemini-2.5-pro"],
      retention_days: 30,
    });
  });

  it("an empty GEMINI_MODELS means today's list", async () => {
    const health = (await (await withEnv({ GEMINI_API_KEY: "k", GEMINI_MODELS: "" }, "/api/health")).json()) as any;
    expect(health.models).toEqual(DEFAULT_MODELS);
  });
});

describe("gemini_model is checked against GEMINI_MODELS", () => {
  const custom = { GEMINI_API_KEY: "k", GEMINI_MODELS: "gemini-3-flash,gemini-2.5-pro" };

  it("takes a listed model, and the first of the list by default", async () => {
    const token = await sessionFor("models-1");
    const chosen = await withEnv(custom, "/api/v1/jobs", upload(token, { gemini_model: "gemini-2.5-pro" }));
    expect(chosen.status).toBe(202);
    expect(await chosen.json()).toMatchObject({ engine: "gemini", model: "gemini-2.5-pro", settings: { gemini_model: "gemini-2.5-pro" } });
    const byDefault = await withEnv(custom, "/api/v1/jobs", upload(token, {}));
    expect(byDefault.status).toBe(202);
    expect(await byDefault.json()).toMatchObject({ model: "gemini-3-flash", settings: { gemini_model: "gemini-3-flash" } });
  });

  it("refuses a model the configuration does not list, even one of the default list", async () => {
    const token = await sessionFor("models-2");
    const res = await withEnv(custom, "/api/v1/jobs", upload(token, { gemini_model: "gemini-2.5-flash" }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error).toMatchObject({ code: "invalid_field", field: "gemini_model" });
    expect(body.error.message).toBe("gemini_model: must be one of gemini-3-flash, gemini-2.5-pro");
    // Nothing of a refused upload is kept.
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs WHERE owner_id = 'models-2'").first("n")).toBe(0);
  });

  it("with the default configuration, an unknown model is refused as before", async () => {
    const token = await signIn("models-3@example.com");
    const res = await api("/api/v1/jobs", upload(token, { gemini_model: "gpt-4" }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatchObject({ code: "invalid_field", field: "gemini_model" });
    const ok = await api("/api/v1/jobs", upload(token, { gemini_model: "gemini-2.5-flash-lite" }));
    expect(ok.status).toBe(202);
    // The local engine records no model, whatever was asked.
    expect(await ok.json()).toMatchObject({ engine: "local", model: null, settings: { gemini_model: "gemini-2.5-flash-lite" } });
  });
});

describe("retention in /me", () => {
  it("says how many days finished jobs are kept (RETENTION_DAYS); a bad value is a 500 that names it", async () => {
    const token = await signIn("retention-me@example.com");
    expect(((await (await api("/api/v1/me", { headers: bearer(token) })).json()) as any).retention_days).toBe(30);
    expect(((await (await withEnv({ RETENTION_DAYS: "7" }, "/api/v1/me", { headers: bearer(token) })).json()) as any).retention_days).toBe(
      7,
    );
    const bad = await withEnv({ RETENTION_DAYS: "forever" }, "/api/v1/me", { headers: bearer(token) });
    expect(bad.status).toBe(500);
    expect(((await bad.json()) as any).error).toMatchObject({
      code: "server_misconfigured",
      message: expect.stringContaining(
        'RETENTION_DAYS must be a whole number of days from 1 to 3650 (how long a finished job is kept); it is "forever"',
      ),
    });
  });
});

describe("the configuration is read once, and a bad variable is named at the first request", () => {
  it("answers 500 server_misconfigured naming the variable, on every route, never a fallback", async () => {
    for (const [name, value] of [
      ["MAX_JOBS_PER_HOUR", "ten"],
      ["CHUNK_CHARS", "12.5"],
      ["PARTS_TTL_SECONDS", "1"],
      ["STORAGE_QUOTA_BYTES", "-1"],
    ] as const) {
      for (const path of ["/api/health", "/api/v1/limits"]) {
        const res = await withEnv({ [name]: value } as Partial<Env>, path);
        expect(res.status).toBe(500);
        const error = ((await res.json()) as any).error;
        expect(error.code).toBe("server_misconfigured");
        expect(error.message).toContain(name);
        expect(error.message).toContain(JSON.stringify(value));
      }
    }
    // Unset or empty takes the default; the configured environment is fine.
    expect((await withEnv({ MAX_JOBS_PER_HOUR: "" } as Partial<Env>, "/api/health")).status).toBe(200);
    expect((await api("/api/health")).status).toBe(200);
  });
});
