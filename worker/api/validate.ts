import { resolver, uniqueSymbol } from "hono-openapi";
import { createMiddleware } from "hono/factory";
import type { z } from "zod";
import { ApiError } from "../core/errors";
import type { AppEnv } from "../core/types";
import { validate } from "../core/validate";
import { joinBytes } from "../core/bytes";

export { validate };

/** The most bytes of a JSON request body (a word list's own route allows more: see wordlists.ts). */
export const MAX_JSON_BYTES = 64 * 1024;

/**
 * The request's JSON body, at most `maxBytes`: a bigger one is a 413 before a byte is parsed
 * (by its Content-Length, else as soon as the stream passes the cap); a body that is not JSON is
 * a 400 showing what to send (`example`).
 */
export async function readJson(c: { req: { raw: Request } }, example: string, maxBytes = MAX_JSON_BYTES): Promise<unknown> {
  // Read once: an idempotency fingerprint and the handler both ask for it.
  let text = bodies.get(c.req.raw);
  if (!text) {
    const tooLarge = () => new ApiError(413, "body_too_large", `A JSON body is at most ${Math.round(maxBytes / 1024)} KiB.`);
    text = readCapped(c.req.raw, maxBytes, tooLarge).then((b) => new TextDecoder().decode(b));
    bodies.set(c.req.raw, text);
  }
  const body = await text;
  try {
    return JSON.parse(body);
  } catch {
    throw new ApiError(400, "invalid_json", example ? `Send a JSON body like ${example}.` : "Send a JSON body.");
  }
}
const bodies = new WeakMap<Request, Promise<string>>();

/** The request's body, refused (`tooLarge`) past `max` bytes: by its Content-Length, else as soon as the stream passes it. */
export async function readCapped(req: Request, max: number, tooLarge: () => ApiError): Promise<Uint8Array> {
  if (Number(req.headers.get("content-length") ?? 0) > max) throw tooLarge();
  const reader = req.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  return joinBytes(chunks, size);
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
