import { describeRoute, resolver, type DescribeRouteOptions } from "hono-openapi";
import type { OpenAPIV3_1 } from "openapi-types";
import type { z } from "zod";
import { ApiErrorSchema } from "../../schema/api";

// How a route describes itself in the OpenAPI document (GET /api/v1/openapi.json): a
// `describe({...})` middleware in front of its handler. Request bodies and query parameters
// come from the route's validators (`jsonBody`, `queryParams` in validate.ts); answers name
// their zod schemas (schema/api.ts, schema/admin.ts), so the document, the validation and the
// handlers' types share one source. docs.ts builds the document from the app's routes.

type Responses = NonNullable<DescribeRouteOptions["responses"]>;
type Response = Responses[string];
type Headers = NonNullable<Extract<Response, { description: string }>["headers"]>;
type Header = Extract<Headers[string], { schema?: unknown }>;

/** Who may call: the security requirement of the operation. */
export type Access = "public" | "optional" | "user" | "operator" | "metrics";

export const SECURITY: Record<Access, OpenAPIV3_1.SecurityRequirementObject[]> = {
  public: [],
  // Works without a credential too (sign-out, "who is signed in").
  optional: [{}, { apiKey: [] }, { sessionCookie: [] }],
  user: [{ apiKey: [] }, { sessionCookie: [] }],
  operator: [{ apiKey: [] }, { sessionCookie: [] }],
  metrics: [{ apiKey: [] }, { sessionCookie: [] }, { metricsToken: [] }],
};

/** Answers are converted as the handler sends them (zod's output side). */
const OUTPUT = { options: { io: "output" } };

/** A JSON answer of `schema`. */
export function json(schema: z.ZodType, description: string, headers?: Headers): Response {
  return { description, ...(headers ? { headers } : {}), content: { "application/json": { schema: resolver(schema, OUTPUT) } } };
}

/** An answer in the one error shape; `description` names its codes. */
export function error(description: string, headers?: Headers): Response {
  return { description, ...(headers ? { headers } : {}), content: { "application/json": { schema: resolver(ApiErrorSchema, OUTPUT) } } };
}

/** 204 No Content. */
export const noContent = (description: string): Response => ({ description });

export const header = (description: string, schema: Header["schema"] = { type: "string" }): Header => ({
  description,
  schema,
});

export const RETRY_AFTER = { "Retry-After": header("Seconds to wait before trying again.", { type: "integer" }) };
export const RATE_LIMIT_HEADERS = {
  "RateLimit-Limit": header("New jobs allowed per hour.", { type: "integer" }),
  "RateLimit-Remaining": header("New jobs left in the current hour.", { type: "integer" }),
  "RateLimit-Reset": header("Seconds until a slot frees up.", { type: "integer" }),
};

export const IDEMPOTENCY_KEY: OpenAPIV3_1.ParameterObject = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  description:
    "1–255 visible ASCII characters, per user, kept 24 h: the same key with the same request gets the first answer again " +
    "(`Idempotent-Replayed: true`) and makes nothing new.",
  schema: { type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x21-\\x7e]+$" },
};
export const IDEMPOTENCY_ERRORS = {
  409: "`idempotency_in_progress`: a request with this Idempotency-Key is still being answered; try again shortly.",
  422: "`idempotency_key_reused`: this Idempotency-Key was used with another request.",
};

/** What a refused upload form answers 400 (worker/api/upload.ts, the settings and webhook fields). */
export const UPLOAD_400 =
  "`invalid_field`: a setting or webhook field is invalid or unknown (`field` names it); `missing_file`; `empty_file`; " +
  "`mixed_files`: both `pdf_file` and `page_images`; `too_many_files`; `unexpected_file`: a file in another field; " +
  "`field_too_large`: a text field over 16 KiB; `malformed_upload`: not valid multipart/form-data; " +
  "`invalid_field` naming `Idempotency-Key`: a malformed key.";

export const pathParam = (name: string, description: string): OpenAPIV3_1.ParameterObject => ({
  name,
  in: "path",
  required: true,
  description,
  schema: { type: "string" },
});

export interface Operation {
  /** Stable: a generated client names its functions after it. */
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  parameters?: OpenAPIV3_1.ParameterObject[];
  requestBody?: DescribeRouteOptions["requestBody"];
  /** The answers proper (2xx, 3xx, and any with their own body). */
  responses: Responses;
  /** Error answers (status → their codes, said for a person); 401, 403 from another Origin and 500 are added by docs.ts. */
  errors?: Record<number, string | Response>;
}

/** The route's entry in the OpenAPI document. */
export function describe(op: Operation) {
  const responses: Responses = { ...op.responses };
  if (op.access === "operator") responses["403"] = error("`forbidden`: signed in, but not an operator.");
  for (const [status, e] of Object.entries(op.errors ?? {})) responses[status] = typeof e === "string" ? error(e) : e;
  return describeRoute({
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    security: SECURITY[op.access],
    ...(op.parameters ? { parameters: op.parameters } : {}),
    ...(op.requestBody ? { requestBody: op.requestBody } : {}),
    responses,
  });
}
