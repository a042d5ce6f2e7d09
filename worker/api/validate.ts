import { resolver, uniqueSymbol } from "hono-openapi";
import { createMiddleware } from "hono/factory";
import type { z } from "zod";
import { ApiError } from "./errors";
import type { AppEnv } from "./types";

/** The request's JSON body; a body that is not JSON is a 400 showing what to send (`example`). */
export async function readJson(c: { req: { json(): Promise<unknown> } }, example: string): Promise<unknown> {
  return c.req.json().catch(() => {
    throw new ApiError(400, "invalid_json", example ? `Send a JSON body like ${example}.` : "Send a JSON body.");
  });
}

/** Parses input with a zod schema; a failure is a 400 that names the offending field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    const field = issue.keys[0]!;
    throw new ApiError(400, "invalid_field", `Unknown field "${field}".`, field);
  }
  const field = issue.path.map(String).join(".") || undefined;
  const message = field ? `${field}: ${issue.message}` : issue.message;
  throw new ApiError(400, "invalid_field", message, field);
}

// The route's input, validated by the one schema that also describes it in the OpenAPI
// document: these middlewares carry hono-openapi's marker (as its own `validator` does), so
// the document takes the request body or the query parameters from the same zod object. They
// validate with `validate` and `readJson` above, so answers keep our error shape and wording.

/** A JSON body validated by `schema`: `c.req.valid("json")` in the handler; `example` is shown when the body is not JSON. */
export function jsonBody<S extends z.ZodType>(schema: S, example = "") {
  const middleware = createMiddleware<AppEnv, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }>(async (c, next) => {
    c.req.addValidatedData("json", validate(schema, await readJson(c, example)) as object);
    await next();
  });
  return Object.assign(middleware, { [uniqueSymbol]: { target: "json" as const, ...resolver(schema) } });
}

/** Query parameters validated by `schema`: `c.req.valid("query")` in the handler. */
export function queryParams<S extends z.ZodType>(schema: S) {
  const middleware = createMiddleware<AppEnv, string, { in: { query: Record<string, string | undefined> }; out: { query: z.output<S> } }>(
    async (c, next) => {
      c.req.addValidatedData("query", validate(schema, c.req.query()) as object);
      await next();
    },
  );
  return Object.assign(middleware, { [uniqueSymbol]: { target: "query" as const, ...resolver(schema) } });
}
