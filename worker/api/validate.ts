import type { z } from "zod";
import { ApiError } from "./errors";

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
