// The OpenAPI document and the reference page as the real `npm start` stack serves them (through
// the web app, as a browser or a client generator reaches them): the document is valid OpenAPI
// 3.1 by a maintained validator (@readme/openapi-parser, which checks the spec's own schema
// and rules such as unique operationIds and declared path parameters), and the reference's
// script is served by the app itself.
import { compileErrors, validate } from "@readme/openapi-parser";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientFiles, GENERATED } from "../../client/generate";
import { startStack, type Stack } from "./stack";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe("GET /api/v1/openapi.json", () => {
  it("is valid OpenAPI 3.1", async () => {
    const r = await fetch(`${stack.url}/api/v1/openapi.json`);
    expect(r.status).toBe(200);
    const doc = await r.json();
    expect(doc.openapi).toBe("3.1.0");
    const result = await validate(structuredClone(doc));
    expect(result.valid, result.valid ? "" : compileErrors(result)).toBe(true);
    expect(result.warnings).toEqual([]);
    expect(result.specification).toBe("OpenAPI");
    // The stack's own configuration: local http, development sign-in on.
    expect(doc.components.securitySchemes.sessionCookie.name).toBe("fnt_session");
    expect(doc.paths).toHaveProperty(["/api/v1/auth/dev"]);
    expect(Object.keys(doc.paths).length).toBeGreaterThan(35);
  });

  it("a broken document would be refused (the validator is not a rubber stamp)", async () => {
    const doc = await (await fetch(`${stack.url}/api/v1/openapi.json`)).json();
    doc.paths["/api/v1/jobs/{id}"].get.operationId = doc.paths["/api/v1/jobs"].get.operationId;
    delete doc.paths["/api/v1/jobs/{id}"].get.parameters;
    const result = await validate(doc);
    expect(result.valid).toBe(false);
  });
});

describe("the typed client (client/)", () => {
  it("is generated from the document this stack serves: the committed files are not stale", async () => {
    const doc = await (await fetch(`${stack.url}/api/v1/openapi.json`)).json();
    const files = await clientFiles(doc);
    for (const name of GENERATED) {
      const committed = readFileSync(path.join(import.meta.dirname, "../../client", name), "utf8");
      expect(committed === files[name], `client/${name} is stale: run npm run gen:client`).toBe(true);
    }
    // The types name the operations the clients use.
    expect(files["schema.d.ts"]).toContain('"/api/v1/jobs/{id}/parts/{n}"');
    expect(files["schema.d.ts"]).toMatch(/Job: \{/);
  });
});

describe("GET /api/docs", () => {
  it("serves the page and Scalar's script from this origin", async () => {
    const page = await fetch(`${stack.url}/api/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const src = html.match(/<script src="([^"]+)"/)?.[1];
    expect(src).toBe("/vendor/scalar/api-reference.js");
    const script = await fetch(`${stack.url}${src}`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    const code = await script.text();
    expect(code.length).toBeGreaterThan(1_000_000);
    expect(code).toContain("createApiReference");
  });
});
