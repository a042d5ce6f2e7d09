import type { z } from "zod";
import { ApiError } from "./errors";

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
