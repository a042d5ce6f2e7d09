import { ERRORS } from "../../schema/errors";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../../worker/api/app";
import { documentValidator } from "./document";
import { api, bearer, sessionFor, signIn } from "./http";
import { result, startedJob } from "./jobs";
import { approve } from "./oidc";

// The OpenAPI document (GET /api/v1/openapi.json) against the app itself: every /api/v1 route
// the Hono app really has is in the document and nothing else is; every operation is complete
// (operationId, security, the error shape); and real answers of the routes, successes and
// errors, are valid against the document's own schemas.

type Doc = {
  openapi: string;
  security?: Record<string, string[]>[];
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, any>; responses: Record<string, any>; securitySchemes: Record<string, any> };
};
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

let doc: Doc;
beforeAll(async () => {
  const r = await api("/api/v1/openapi.json");
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toMatch(/^application\/json/);
  doc = (await r.json()) as Doc;
});

/** "METHOD /path/{param}" of every route the app has under /api/v1 (middleware-only entries left out). */
function appRoutes(): Set<string> {
  const out = new Set<string>();
  for (const r of app.routes) {
    if (r.method === "ALL" || !/^\/api\/v1(\/|$)/.test(r.path)) continue;
    // ":id" → "{id}"; a parameter's pattern (":key{.+}") is not part of its name.
    out.add(`${r.method} ${r.path.replace(/:(\w+)(\{[^}]*\})?/g, "{$1}")}`);
  }
  return out;
}

function documented(): Set<string> {
  const out = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) if (item[m]) out.add(`${m.toUpperCase()} ${path}`);
  }
  return out;
}

function operations(): { key: string; method: string; path: string; op: any }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ key: `${m.toUpperCase()} ${path}`, method: m, path, op: item[m] })),
  );
}

/** The response object itself, following a `#/components/responses/…` reference. */
const deref = (r: any) => (r?.$ref ? doc.components.responses[r.$ref.split("/").pop()] : r);

describe("coverage", () => {
  it("documents exactly the /api/v1 routes the app has, method by method", () => {
    const routes = appRoutes();
    const docs = documented();
    expect(routes.size).toBeGreaterThan(40);
    expect(
      [...routes].filter((r) => !docs.has(r)),
      "routes the document lacks",
    ).toEqual([]);
    expect(
      [...docs].filter((d) => !routes.has(d)),
      "documented routes the app does not have",
    ).toEqual([]);
  });

  it("a route added without a description would be caught", async () => {
    // The comparison above reads the app's real routes: a bare route shows up there and not in the document.
    const { Hono } = await import("hono");
    const extra = new Hono().get("/api/v1/undocumented", (c) => c.text("x"));
    const withExtra = new Set([...appRoutes(), ...extra.routes.map((r) => `${r.method} ${r.path}`)]);
    expect([...withExtra].filter((r) => !documented().has(r))).toEqual(["GET /api/v1/undocumented"]);
  });
});

describe("the document", () => {
  it("is OpenAPI 3.1 with the API's components", () => {
    expect(doc.openapi).toBe("3.1.0");
    for (const name of [
      "Error",
      "Job",
      "JobResult",
      "ProgressEvent",
      "JobUploadForm",
      "ProcessPdfForm",
      "Me",
      "Health",
      "Credits",
      "ApiKey",
    ]) {
      expect(doc.components.schemas, name).toHaveProperty(name);
    }
    expect(doc.components.schemas.Error.properties.error.required.sort()).toEqual(["code", "message", "request_id"]);
    // The error codes are the registry's (schema/errors.ts), each listed with its status.
    const code = doc.components.schemas.Error.properties.error.properties.code;
    expect(code.enum).toEqual(Object.keys(ERRORS));
    for (const [name, e] of Object.entries(ERRORS)) expect(code.description).toContain(`\`${name}\` (${e.status}`);
  });

  it("has stable, unique operationIds, a summary and a tag on every operation", () => {
    const ids = operations().map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === "string" && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { key, op } of operations()) {
      expect(op.summary, key).toBeTruthy();
      expect(op.tags?.length, key).toBe(1);
    }
    expect(operations().find((o) => o.key === "POST /api/v1/jobs")?.op.operationId).toBe("createJob");
  });

  it("says who may call: a cookie session or an API key; public routes need nothing", () => {
    expect(doc.components.securitySchemes.sessionCookie).toMatchObject({ type: "apiKey", in: "cookie", name: "fnt_session" });
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: "http", scheme: "bearer" });
    const open = operations()
      .filter((o) => Array.isArray(o.op.security) && o.op.security.length === 0)
      .map((o) => o.key)
      .sort();
    expect(open).toEqual([
      "GET /api/v1/auth/google",
      "GET /api/v1/auth/google/callback",
      "GET /api/v1/health",
      "GET /api/v1/openapi.json",
      "POST /api/v1/auth/dev",
    ]);
    for (const { key, op } of operations()) {
      const security = op.security ?? doc.security;
      expect(security, key).toBeDefined();
      const required = security.length > 0 && !security.some((s: object) => Object.keys(s).length === 0);
      if (required) expect(op.responses, key).toHaveProperty("401");
      if (key.includes("/api/v1/admin/")) expect(op.responses, key).toHaveProperty("403");
      if (
        security.some((s: object) => "sessionCookie" in s) &&
        ["post", "put", "patch", "delete"].includes(key.split(" ")[0]!.toLowerCase())
      ) {
        expect(JSON.stringify(deref(op.responses["403"])), key).toContain("forbidden_origin");
      }
    }
  });

  it("gives every error answer the one error shape", () => {
    for (const { key, op } of operations()) {
      expect(op.responses, key).toHaveProperty("500");
      for (const [status, response] of Object.entries<any>(op.responses)) {
        if (Number(status) < 400) continue;
        // The sign-in callback's refusal is a page for a person (a browser navigation), said so.
        if ((key === "GET /api/v1/auth/google/callback" || key === "GET /api/v1/integrations/google-sheets/callback") && status === "400") {
          expect(Object.keys(response.content)).toEqual(["text/html"]);
          continue;
        }
        // Degraded health is the health report itself.
        if (key === "GET /api/v1/health" && status === "503") {
          expect(response.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Health" });
          continue;
        }
        expect(deref(response).content?.["application/json"]?.schema, `${key} ${status}`).toEqual({ $ref: "#/components/schemas/Error" });
      }
    }
  });

  it("describes the multipart uploads, the WebSocket and the query parameters", () => {
    const upload = doc.paths["/api/v1/jobs"]!.post.requestBody.content["multipart/form-data"];
    expect(upload.schema).toEqual({ $ref: "#/components/schemas/JobUploadForm" });
    const form = doc.components.schemas.JobUploadForm;
    // One PDF, or a big book's parts (the field repeated).
    const pdf = { type: "string", format: "binary", contentMediaType: "application/pdf" };
    expect(form.properties.pdf_file.anyOf).toEqual([
      expect.objectContaining(pdf),
      expect.objectContaining({ type: "array", items: expect.objectContaining(pdf) }),
    ]);
    expect(doc.paths["/api/v1/jobs"]!.post.requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/CreatePartsJobRequest",
    });
    expect(doc.paths["/api/v1/jobs/{id}/parts/{n}"]!.put.requestBody.content).toHaveProperty(["application/pdf"]);
    expect(form.properties.page_images).toMatchObject({ type: "array", items: { type: "string", format: "binary" } });
    expect(form.properties.sentence_length_limit).toMatchObject({ type: "integer", minimum: 0, maximum: 500, default: 0 });
    expect(form.properties.fix_hyphenation).toMatchObject({ type: "boolean", default: true });
    expect(form.properties.gemini_model).toMatchObject({ enum: ["gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro"] });
    expect(form.properties).toHaveProperty("webhook_url");
    expect(doc.components.schemas.ProcessPdfForm.required.sort()).toEqual(["job_id", "pdf_file"]);
    const events = doc.paths["/api/v1/jobs/{id}/events"]!.get;
    expect(Object.keys(events.responses)).toEqual(expect.arrayContaining(["101", "426"]));
    expect(events.parameters.map((p: any) => p.name).sort()).toEqual(["access_token", "after", "id"]);
    const list = doc.paths["/api/v1/jobs"]!.get.parameters;
    expect(list).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "limit", in: "query", schema: expect.objectContaining({ default: 20, maximum: 100 }) }),
      ]),
    );
    expect(doc.paths["/api/v1/api-keys"]!.post.requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/CreateApiKeyRequest",
    });
  });

  it("describes the webhook events a receiver gets: the body, and the signature's headers", () => {
    const hooks = (doc as any).webhooks as Record<string, any>;
    expect(Object.keys(hooks).sort()).toEqual(["job.cancelled", "job.completed", "job.failed", "job.partial", "job.progress"]);
    for (const [type, item] of Object.entries(hooks)) {
      expect(item.post.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/WebhookEvent" });
      expect(item.post.parameters.map((p: any) => `${p.in} ${p.name}`)).toEqual([
        "header webhook-id",
        "header webhook-timestamp",
        "header webhook-signature",
      ]);
      expect(Object.keys(item.post.responses)).toEqual(["2XX", "default"]);
      expect(item.post.summary).toBe(type);
    }
    const event = doc.components.schemas.WebhookEvent;
    expect(event.properties.type.enum).toEqual(["job.completed", "job.partial", "job.failed", "job.cancelled", "job.progress"]);
    expect(event.properties.data).toEqual({ $ref: "#/components/schemas/Job" });
    expect(event.required.sort()).toEqual(["data", "timestamp", "type"]);
  });

  it("has no dangling reference", () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/(\w+)\/(\w+)"/g)];
    expect(refs.length).toBeGreaterThan(50);
    for (const [, kind, name] of refs) expect((doc.components as any)[kind!], `${kind}/${name}`).toHaveProperty(name!);
  });
});

// ---- real answers against the document ------------------------------------------------

const validatorFor = (schema: unknown) => documentValidator(doc, schema);

/** Checks an answer of `method path` (the document's path template): its status is documented, its JSON body valid. */
async function conforms(method: string, path: string, res: Response): Promise<any> {
  const op = doc.paths[path]?.[method.toLowerCase()];
  expect(op, `${method} ${path} is documented`).toBeDefined();
  const documentedResponse = deref(op.responses[String(res.status)]);
  expect(documentedResponse, `${method} ${path} answered ${res.status}, which the document does not list`).toBeDefined();
  const type = res.headers.get("content-type") ?? "";
  if (!type.startsWith("application/json")) {
    // A redirect (302 to the provider or back) has no body to check: its status is documented.
    if (res.status !== 204 && res.status !== 101 && !(res.status >= 300 && res.status < 400)) {
      expect(Object.keys(documentedResponse.content ?? {}), `${method} ${path} ${res.status} ${type}`).toContain(type.split(";")[0]);
    }
    return res.status === 204 ? null : res.text();
  }
  const body = await res.json();
  const schema = documentedResponse.content?.["application/json"]?.schema;
  expect(schema, `${method} ${path} ${res.status} has a JSON schema`).toBeDefined();
  const r = validatorFor(schema).validate(body);
  expect(
    r.errors.map((e) => `${e.instanceLocation}: ${e.error}`),
    `${method} ${path} ${res.status}: ${JSON.stringify(body).slice(0, 500)}`,
  ).toEqual([]);
  return body;
}

const jsonPost = (token: string, body: unknown, method = "POST") => ({
  method,
  headers: { ...bearer(token), "content-type": "application/json" },
  body: JSON.stringify(body),
});

async function textPdf(): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.TimesRoman);
  const page = pdf.addPage([400, 600]);
  page.drawText("Il marchait lentement le long du quai.", { x: 20, y: 570, size: 9, font });
  return pdf.save();
}

function form(fields: [string, string | Uint8Array][]) {
  const f = new FormData();
  for (const [k, v] of fields) {
    if (typeof v === "string") f.append(k, v);
    else f.append(k, new Blob([v as Uint8Array<ArrayBuffer>], { type: "application/pdf" }), "livre.pdf");
  }
  return f;
}

describe("real answers are valid against the document", () => {
  it("health, sign-in, who am I, keys, sessions, webhooks", async () => {
    await conforms("GET", "/api/v1/health", await api("/api/v1/health"));
    await conforms("GET", "/api/v1/auth/session", await api("/api/v1/auth/session"));
    const dev = await api("/api/v1/auth/dev", jsonPost("", { email: "doc@example.com" }));
    const { token } = await conforms("POST", "/api/v1/auth/dev", dev);
    await conforms("POST", "/api/v1/auth/dev", await api("/api/v1/auth/dev", jsonPost("", { email: "nope" })));
    await conforms("POST", "/api/v1/auth/dev", await api("/api/v1/auth/dev", { method: "POST", body: "{" }));
    await conforms("GET", "/api/v1/auth/session", await api("/api/v1/auth/session", { headers: bearer(token) }));
    await conforms("GET", "/api/v1/me", await api("/api/v1/me", { headers: bearer(token) }));
    await conforms("GET", "/api/v1/me", await api("/api/v1/me"));
    await conforms("GET", "/api/v1/me", await api("/api/v1/me", { headers: bearer("fnt_unknown") }));

    const key = await conforms(
      "POST",
      "/api/v1/api-keys",
      await api("/api/v1/api-keys", jsonPost(token, { name: "doc", expires_in_days: 30 })),
    );
    await conforms("POST", "/api/v1/api-keys", await api("/api/v1/api-keys", jsonPost(token, { name: "" })));
    await conforms("GET", "/api/v1/api-keys", await api("/api/v1/api-keys", { headers: bearer(key.key) }));
    await conforms(
      "DELETE",
      "/api/v1/api-keys/{id}",
      await api(`/api/v1/api-keys/${key.id}`, { method: "DELETE", headers: bearer(token) }),
    );
    await conforms(
      "DELETE",
      "/api/v1/api-keys/{id}",
      await api(`/api/v1/api-keys/${key.id}`, { method: "DELETE", headers: bearer(token) }),
    );
    await conforms("GET", "/api/v1/sessions", await api("/api/v1/sessions", { headers: bearer(token) }));
    // A session's change from another site.
    const cookie = { cookie: `fnt_session=${token}`, origin: "https://evil.example" };
    await conforms(
      "POST",
      "/api/v1/auth/signout-everywhere",
      await api("/api/v1/auth/signout-everywhere", { method: "POST", headers: cookie }),
    );

    await conforms("GET", "/api/v1/webhooks/secret", await api("/api/v1/webhooks/secret", { headers: bearer(token) }));
    await conforms(
      "POST",
      "/api/v1/webhooks/secret/rotate",
      await api("/api/v1/webhooks/secret/rotate", { method: "POST", headers: bearer(token) }),
    );
    await conforms("GET", "/api/v1/webhooks/settings", await api("/api/v1/webhooks/settings", { headers: bearer(token) }));
    const hook = { default_url: "https://hooks.test/doc", progress_every: 25 };
    await conforms("PUT", "/api/v1/webhooks/settings", await api("/api/v1/webhooks/settings", jsonPost(token, hook, "PUT")));
    await conforms("PUT", "/api/v1/webhooks/settings", await api("/api/v1/webhooks/settings", jsonPost(token, { default_url: 3 }, "PUT")));
    await conforms(
      "PUT",
      "/api/v1/webhooks/settings",
      await api("/api/v1/webhooks/settings", jsonPost(token, { default_url: null }, "PUT")),
    );
    await conforms("POST", "/api/v1/auth/signout", await api("/api/v1/auth/signout", { method: "POST", headers: bearer(token) }));
    await conforms("GET", "/api/v1/openapi.json", await api("/api/v1/openapi.json"));
  });

  it("jobs: upload, list, read, result, edit, cancel, retry, events, delete", async () => {
    const token = await signIn("jobs-doc@example.com");
    const auth = { headers: bearer(token) };
    const created = await api("/api/v1/jobs", {
      method: "POST",
      ...auth,
      body: form([
        ["sentence_length_limit", "25"],
        ["pdf_file", await textPdf()],
      ]),
    });
    const job = await conforms("POST", "/api/v1/jobs", created);
    await conforms(
      "POST",
      "/api/v1/jobs",
      await api("/api/v1/jobs", {
        method: "POST",
        ...auth,
        body: form([
          ["sentence_length_limit", "x"],
          ["pdf_file", await textPdf()],
        ]),
      }),
    );
    await conforms("POST", "/api/v1/jobs", await api("/api/v1/jobs", { method: "POST", ...auth, body: "not a form" }));
    await conforms("GET", "/api/v1/jobs", await api("/api/v1/jobs?limit=1", auth));
    await conforms("GET", "/api/v1/jobs", await api("/api/v1/jobs?limit=1000", auth));
    await conforms("GET", "/api/v1/jobs/{id}", await api(`/api/v1/jobs/${job.id}`, auth));
    await conforms("GET", "/api/v1/jobs/{id}", await api("/api/v1/jobs/no-such-job", auth));
    await conforms("GET", "/api/v1/jobs/{id}/result", await api(`/api/v1/jobs/${job.id}/result`, auth));
    await conforms("GET", "/api/v1/jobs/{id}/webhooks", await api(`/api/v1/jobs/${job.id}/webhooks`, auth));
    await conforms("GET", "/api/v1/jobs/{id}/events", await api(`/api/v1/jobs/${job.id}/events`, auth));
    await conforms(
      "PATCH",
      "/api/v1/jobs/{id}/sentences/{index}",
      await api(`/api/v1/jobs/${job.id}/sentences/0`, jsonPost(token, { text: "x" }, "PATCH")),
    );
    await conforms("POST", "/api/v1/jobs/{id}/cancel", await api(`/api/v1/jobs/${job.id}/cancel`, { method: "POST", ...auth }));
    await conforms("POST", "/api/v1/jobs/{id}/retry", await api(`/api/v1/jobs/${job.id}/retry`, { method: "POST", ...auth }));
    // Before and after a job: the estimate (form and JSON), process again.
    await conforms(
      "POST",
      "/api/v1/estimate",
      await api("/api/v1/estimate", {
        method: "POST",
        ...auth,
        body: form([
          ["pages", "1"],
          ["pdf_file", await textPdf()],
        ]),
      }),
    );
    await conforms("POST", "/api/v1/estimate", await api("/api/v1/estimate", jsonPost(token, { pages: 12, text_chars: 24_000 })));
    await conforms("POST", "/api/v1/estimate", await api("/api/v1/estimate", jsonPost(token, { pages: "1-3", text_chars: 10 })));
    const again = await conforms(
      "POST",
      "/api/v1/jobs/{id}/rerun",
      await api(`/api/v1/jobs/${job.id}/rerun`, jsonPost(token, { sentence_length_limit: 8 })),
    );
    expect(again.rerun_of).toBe(job.id);
    await conforms("POST", "/api/v1/jobs/{id}/rerun", await api(`/api/v1/jobs/${job.id}/rerun`, jsonPost(token, { pages: "2-9" })));
    await conforms("POST", "/api/v1/jobs/{id}/rerun", await api("/api/v1/jobs/no-such-job/rerun", jsonPost(token, {})));
    await conforms("DELETE", "/api/v1/jobs/{id}", await api(`/api/v1/jobs/${job.id}`, { method: "DELETE", ...auth }));

    // A book in parts: in one request (pdf_file repeated), and one request per part.
    const inOne = form([
      ["parts", "2"],
      ["pdf_file", await textPdf()],
      ["pdf_file", await textPdf()],
    ]);
    await conforms("POST", "/api/v1/jobs", await api("/api/v1/jobs", { method: "POST", ...auth, body: inOne }));
    const uploading = await conforms(
      "POST",
      "/api/v1/jobs",
      await api("/api/v1/jobs", jsonPost(token, { parts: 2, filename: "gros livre.pdf", sentence_length_limit: 20 })),
    );
    expect(uploading.status).toBe("uploading");
    await conforms("POST", "/api/v1/jobs", await api("/api/v1/jobs", jsonPost(token, { parts: 1 })));
    await conforms("GET", "/api/v1/jobs/{id}/parts", await api(`/api/v1/jobs/${uploading.id}/parts`, auth));
    const put = async (n: number) =>
      api(`/api/v1/jobs/${uploading.id}/parts/${n}`, {
        method: "PUT",
        headers: { ...bearer(token), "content-type": "application/pdf" },
        body: await textPdf(),
      });
    await conforms("PUT", "/api/v1/jobs/{id}/parts/{n}", await put(1));
    await conforms("PUT", "/api/v1/jobs/{id}/parts/{n}", await put(7));
    const last = await put(2);
    expect(last.status).toBe(202);
    await conforms("PUT", "/api/v1/jobs/{id}/parts/{n}", last);
    await conforms("PUT", "/api/v1/jobs/{id}/parts/{n}", await put(1));

    // A finished job: its result in every format, and an edit.
    const { id, t } = await startedJob([[1, 1]], "doc-reader");
    await t.chunkDone(0, result("Bonjour.", "Au revoir."));
    const reader = { headers: bearer(await sessionFor("doc-reader")) };
    const done = await conforms("GET", "/api/v1/jobs/{id}/result", await api(`/api/v1/jobs/${id}/result`, reader));
    expect(done.sentences.length).toBe(2);
    for (const format of ["txt", "csv", "tsv", "anki", "apkg", "xlsx"])
      await conforms("GET", "/api/v1/jobs/{id}/result", await api(`/api/v1/jobs/${id}/result?format=${format}`, reader));
    await conforms("GET", "/api/v1/jobs/{id}/result", await api(`/api/v1/jobs/${id}/result?format=pdf`, reader));
    const edit = {
      method: "PATCH",
      headers: { ...reader.headers, "content-type": "application/json" },
      body: JSON.stringify({ text: "Salut." }),
    };
    await conforms("PATCH", "/api/v1/jobs/{id}/sentences/{index}", await api(`/api/v1/jobs/${id}/sentences/1`, edit));
    await conforms("PATCH", "/api/v1/jobs/{id}/sentences/{index}", await api(`/api/v1/jobs/${id}/sentences/9`, edit));
    await conforms("GET", "/api/v1/jobs", await api("/api/v1/jobs", reader));
  });

  it("credits, the original tool's two steps, limits", async () => {
    const token = await signIn("credits-doc@example.com");
    const auth = { headers: bearer(token) };
    await conforms("GET", "/api/v1/credits", await api("/api/v1/credits", auth));
    const reserved = await conforms(
      "POST",
      "/api/v1/credits/reserve",
      await api("/api/v1/credits/reserve", jsonPost(token, { estimated_tokens: 1000 })),
    );
    await conforms("POST", "/api/v1/credits/reserve", await api("/api/v1/credits/reserve", jsonPost(token, { estimated_tokens: 0 })));
    await conforms("POST", "/api/v1/credits/reserve", await api("/api/v1/credits/reserve", jsonPost(token, { estimated_tokens: 1e8 })));
    const step2 = await api("/api/v1/process-pdf-async", {
      method: "POST",
      ...auth,
      body: form([
        ["job_id", reserved.job_id],
        ["pdf_file", await textPdf()],
      ]),
    });
    await conforms("POST", "/api/v1/process-pdf-async", step2);
    const again = await api("/api/v1/process-pdf-async", {
      method: "POST",
      ...auth,
      body: form([
        ["job_id", reserved.job_id],
        ["pdf_file", await textPdf()],
      ]),
    });
    await conforms("POST", "/api/v1/process-pdf-async", again);
    await conforms("GET", "/api/v1/credits/ledger", await api("/api/v1/credits/ledger?limit=5", auth));
    await conforms("GET", "/api/v1/credits/ledger", await api("/api/v1/credits/ledger?cursor=x", auth));
    await conforms("GET", "/api/v1/limits", await api("/api/v1/limits", auth));
  });

  it("word lists and learning sets: create, read, run, sentences, alternatives, swap, export, delete", async () => {
    const token = await signIn("learning-doc@example.com");
    const auth = { headers: bearer(token) };
    await conforms("GET", "/api/v1/wordlists", await api("/api/v1/wordlists", auth));
    await conforms("GET", "/api/v1/wordlists/{id}", await api("/api/v1/wordlists/default", auth));
    const list = await conforms(
      "POST",
      "/api/v1/wordlists",
      await api("/api/v1/wordlists", jsonPost(token, { name: "doc", words: ["chat", "souris", "zzz"] })),
    );
    await conforms("POST", "/api/v1/wordlists", await api("/api/v1/wordlists", jsonPost(token, { name: "doc", words: [] })));
    const upload = new FormData();
    upload.append("file", new Blob(["%PDF-1.7"]), "x.csv");
    await conforms("POST", "/api/v1/wordlists", await api("/api/v1/wordlists", { method: "POST", ...auth, body: upload }));
    await conforms(
      "PATCH",
      "/api/v1/wordlists/{id}",
      await api(`/api/v1/wordlists/${list.id}`, jsonPost(token, { name: "renamed" }, "PATCH")),
    );
    await conforms("PATCH", "/api/v1/wordlists/{id}", await api("/api/v1/wordlists/default", jsonPost(token, { name: "x" }, "PATCH")));
    await conforms("GET", "/api/v1/wordlists/{id}", await api("/api/v1/wordlists/wl_none", auth));

    const { id: job, t } = await startedJob([[1, 1]], "learning-doc-reader");
    await t.chunkDone(0, result("Le chat mange la souris.", "Le chat mange une souris grise.", "La souris dort."));
    const reader = await sessionFor("learning-doc-reader");
    const theirList = await conforms(
      "POST",
      "/api/v1/wordlists",
      await api("/api/v1/wordlists", jsonPost(reader, { name: "doc", words: ["chat", "souris", "manger"] })),
    );
    await conforms("POST", "/api/v1/learning-sets", await api("/api/v1/learning-sets", jsonPost(reader, { job_ids: [job], max_words: 0 })));
    await conforms("POST", "/api/v1/learning-sets", await api("/api/v1/learning-sets", jsonPost(token, { job_ids: [job] })));
    const set = await conforms(
      "POST",
      "/api/v1/learning-sets",
      await api("/api/v1/learning-sets", jsonPost(reader, { job_ids: [job], wordlist_id: theirList.id })),
    );
    const mine = { headers: bearer(reader) };
    await conforms("GET", "/api/v1/learning-sets/{id}/sentences", await api(`/api/v1/learning-sets/${set.id}/sentences`, mine));
    let done = set;
    for (let i = 0; i < 100 && done.status === "running"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      done = await conforms("GET", "/api/v1/learning-sets/{id}", await api(`/api/v1/learning-sets/${set.id}`, mine));
    }
    expect(done.status).toBe("completed");
    await conforms("GET", "/api/v1/learning-sets", await api("/api/v1/learning-sets", mine));
    const { sentences } = await conforms(
      "GET",
      "/api/v1/learning-sets/{id}/sentences",
      await api(`/api/v1/learning-sets/${set.id}/sentences`, mine),
    );
    expect(sentences.length).toBeGreaterThan(0);
    const alts = await conforms(
      "GET",
      "/api/v1/learning-sets/{id}/sentences/{rank}/alternatives",
      await api(`/api/v1/learning-sets/${set.id}/sentences/1/alternatives`, mine),
    );
    await conforms(
      "GET",
      "/api/v1/learning-sets/{id}/sentences/{rank}/alternatives",
      await api(`/api/v1/learning-sets/${set.id}/sentences/50/alternatives`, mine),
    );
    const pick = alts.alternatives[0] ?? { job_id: job, index: 99 };
    await conforms(
      "POST",
      "/api/v1/learning-sets/{id}/sentences/{rank}/swap",
      await api(`/api/v1/learning-sets/${set.id}/sentences/1/swap`, jsonPost(reader, { job_id: pick.job_id, index: pick.index })),
    );
    await conforms(
      "POST",
      "/api/v1/learning-sets/{id}/sentences/{rank}/swap",
      await api(`/api/v1/learning-sets/${set.id}/sentences/1/swap`, jsonPost(reader, { job_id: job, index: 99 })),
    );
    await conforms(
      "POST",
      "/api/v1/learning-sets/{id}/sentences/{rank}/swap",
      await api(`/api/v1/learning-sets/${set.id}/sentences/1/swap`, jsonPost(reader, { index: -1 })),
    );
    for (const format of ["csv", "tsv", "txt", "json", "anki", "apkg", "xlsx", "xml"])
      await conforms(
        "GET",
        "/api/v1/learning-sets/{id}/export",
        await api(`/api/v1/learning-sets/${set.id}/export?format=${format}`, mine),
      );
    await conforms("GET", "/api/v1/learning-sets/{id}", await api(`/api/v1/learning-sets/${set.id}`, auth));
    await conforms("DELETE", "/api/v1/learning-sets/{id}", await api(`/api/v1/learning-sets/${set.id}`, { method: "DELETE", ...mine }));
    await conforms("DELETE", "/api/v1/wordlists/{id}", await api(`/api/v1/wordlists/${list.id}`, { method: "DELETE", ...auth }));
    await conforms("DELETE", "/api/v1/wordlists/{id}", await api("/api/v1/wordlists/default", { method: "DELETE", ...auth }));
  });

  it("Google Sheets: connection, connect, callback, export, disconnect", async () => {
    const token = await sessionFor("sheets-doc-reader");
    const auth = { headers: bearer(token) };
    const manual = { ...auth, redirect: "manual" as const };
    await conforms("GET", "/api/v1/integrations/google-sheets", await api("/api/v1/integrations/google-sheets", auth));
    await conforms("GET", "/api/v1/integrations/google-sheets", await api("/api/v1/integrations/google-sheets"));
    const { id: job, t } = await startedJob([[1, 1]], "sheets-doc-reader");
    await t.chunkDone(0, result("Le chat mange la souris.", "=1+1"));
    await conforms("POST", "/api/v1/exports/sheets", await api("/api/v1/exports/sheets", jsonPost(token, { source: { job_id: job } })));
    await conforms("POST", "/api/v1/exports/sheets", await api("/api/v1/exports/sheets", jsonPost(token, { source: {} })));
    const start = await api("/api/v1/integrations/google-sheets/connect?return_to=/jobs", manual);
    await conforms("GET", "/api/v1/integrations/google-sheets/connect", start);
    const callback = await approve(start.headers.get("location")!, "sheets-doc-reader@example.com");
    await conforms(
      "GET",
      "/api/v1/integrations/google-sheets/callback",
      await api(new URL(callback).pathname + new URL(callback).search, manual),
    );
    await conforms(
      "GET",
      "/api/v1/integrations/google-sheets/callback",
      await api("/api/v1/integrations/google-sheets/callback?state=nope", manual),
    );
    await conforms("GET", "/api/v1/integrations/google-sheets", await api("/api/v1/integrations/google-sheets", auth));
    const { spreadsheet_id } = await conforms(
      "POST",
      "/api/v1/exports/sheets",
      await api("/api/v1/exports/sheets", jsonPost(token, { source: { job_id: job }, header_names: { sentence: "Phrase" } })),
    );
    // Appending under another header: the 409 sheets_header_mismatch.
    const mismatch = await api("/api/v1/exports/sheets", jsonPost(token, { source: { job_id: job }, spreadsheet_id }));
    expect(mismatch.status).toBe(409);
    await conforms("POST", "/api/v1/exports/sheets", mismatch);
    await conforms(
      "POST",
      "/api/v1/exports/sheets",
      await api("/api/v1/exports/sheets", jsonPost(token, { source: { job_id: job }, spreadsheet_id: "NoSuchSpreadsheet123" })),
    );
    await conforms(
      "POST",
      "/api/v1/exports/sheets",
      await api("/api/v1/exports/sheets", jsonPost(token, { source: { learning_set_id: "ls_none" } })),
    );
    await conforms(
      "DELETE",
      "/api/v1/integrations/google-sheets",
      await api("/api/v1/integrations/google-sheets", { method: "DELETE", ...auth }),
    );
  });

  it("the console, for operators", async () => {
    const ops = await signIn("ops@example.com");
    const auth = { headers: bearer(ops) };
    const { id, t } = await startedJob(
      [
        [1, 2],
        [3, 4],
      ],
      "doc-owner",
    );
    await t.chunkDone(0, result("Un."));
    await t.chunkFailed(1, "boom");
    const user = await signIn("not-an-operator@example.com");
    await conforms("GET", "/api/v1/admin/overview", await api("/api/v1/admin/overview", { headers: bearer(user) }));
    await conforms("GET", "/api/v1/admin/overview", await api("/api/v1/admin/overview", auth));
    await conforms("GET", "/api/v1/admin/jobs", await api("/api/v1/admin/jobs?limit=5", auth));
    await conforms("GET", "/api/v1/admin/jobs/{id}", await api(`/api/v1/admin/jobs/${id}`, auth));
    for (const panel of ["throughput", "failures", "spend"]) {
      await conforms("GET", `/api/v1/admin/${panel}`, await api(`/api/v1/admin/${panel}?range=day`, auth));
    }
    await conforms("GET", "/api/v1/admin/throughput", await api("/api/v1/admin/throughput?range=year", auth));
    await conforms("GET", "/api/v1/admin/dead-letters", await api("/api/v1/admin/dead-letters", auth));
    await conforms("GET", "/api/v1/admin/users", await api("/api/v1/admin/users?q=doc", auth));
    await conforms("POST", "/api/v1/admin/jobs/{id}/retry", await api(`/api/v1/admin/jobs/${id}/retry`, { method: "POST", ...auth }));
    await conforms("POST", "/api/v1/admin/jobs/{id}/cancel", await api(`/api/v1/admin/jobs/${id}/cancel`, { method: "POST", ...auth }));
    await conforms("POST", "/api/v1/admin/jobs/{id}/cancel", await api("/api/v1/admin/jobs/nope/cancel", { method: "POST", ...auth }));
    await conforms(
      "POST",
      "/api/v1/admin/dead-letters/replay",
      await api("/api/v1/admin/dead-letters/replay", jsonPost(ops, { error_class: "internal" })),
    );
    await conforms("POST", "/api/v1/admin/dead-letters/replay", await api("/api/v1/admin/dead-letters/replay", jsonPost(ops, {})));
    await conforms("POST", "/api/v1/admin/intake", await api("/api/v1/admin/intake", jsonPost(ops, { paused: true })));
    const paused = await api("/api/v1/jobs", { method: "POST", headers: bearer(user), body: form([["pdf_file", await textPdf()]]) });
    expect(paused.status).toBe(503);
    await conforms("POST", "/api/v1/jobs", paused);
    await conforms("POST", "/api/v1/admin/intake", await api("/api/v1/admin/intake", jsonPost(ops, { paused: false })));
    await conforms(
      "POST",
      "/api/v1/admin/users/{id}/grant",
      await api("/api/v1/admin/users/doc-owner/grant", jsonPost(ops, { credits: 5, note: "doc" })),
    );
    await conforms("GET", "/api/v1/admin/audit", await api("/api/v1/admin/audit", auth));
    await conforms("GET", "/api/v1/admin/metrics", await api("/api/v1/admin/metrics", auth));
  });
});

describe("GET /api/docs", () => {
  it("is a page that loads the reference from this origin, reading the document", async () => {
    const r = await api("/api/docs");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await r.text();
    const scripts = [...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toEqual(["/vendor/scalar/api-reference.js"]);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('"url":"/api/v1/openapi.json"');
  });
});
