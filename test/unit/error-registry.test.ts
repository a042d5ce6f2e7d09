import { describe, expect, it } from "vitest";
import { ERRORS, errorCodesDescription } from "../../schema/errors";
import { ApiError, apiErrorFor } from "../../worker/core/errors";

describe("the error registry", () => {
  it("types ApiError: an unknown code, or a known one with another status, does not compile", () => {
    // @ts-expect-error: not a registered code (npm run typecheck fails if this compiled)
    const unknown = new ApiError(404, "no_such_code", "x");
    // @ts-expect-error: not_found is answered with 404, never 400
    const wrongStatus = new ApiError(400, "not_found", "x");
    // A code with two statuses (kept as it always answered) takes either.
    const one = new ApiError(400, "too_many_files", "x");
    const other = new ApiError(413, "too_many_files", "x");
    expect([unknown.status, wrongStatus.status, one.status, other.status]).toEqual([404, 400, 400, 413]);
  });

  it("gives a code known at run time its registered status", () => {
    expect(apiErrorFor("unsupported_file_type", "x")).toMatchObject({ status: 415, code: "unsupported_file_type" });
    expect(apiErrorFor("empty_list", "x", "words")).toMatchObject({ status: 400, field: "words" });
  });

  it("lists every code once with its statuses for the API document", () => {
    const lines = errorCodesDescription().split("\n");
    expect(lines).toHaveLength(Object.keys(ERRORS).length);
    expect(lines).toContain("- `too_many_files` (413, 400): Too many files in one job");
    expect(lines).toContain("- `not_found` (404): No such thing of yours");
    for (const e of Object.values(ERRORS)) expect(e.status).toBeGreaterThanOrEqual(400);
  });
});
