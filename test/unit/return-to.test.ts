import { describe, expect, it } from "vitest";
import { safeReturnTo } from "../../worker/auth/return-to";

describe("return_to after sign-in goes back to the app's own origin only", () => {
  it("keeps a path of the app, its query and fragment", () => {
    for (const ok of ["/", "/jobs", "/jobs/abc?tab=result#s12", "/learning/sets?ids=a,b", "/a%20b", "/caf%C3%A9"])
      expect(safeReturnTo(ok)).toBe(ok);
  });

  it.each([
    ["absent", undefined],
    ["empty", ""],
    ["another origin", "https://evil.example/"],
    ["scheme-relative", "//evil.example/"],
    ["a scheme", "javascript:alert(1)"],
    ["a relative path", "evil.example"],
    ["a backslash", "/\\evil.example"],
    ["a backslash later", "/jobs\\..\\\\evil.example"],
    ["a tab", "/\t/evil.example"],
    ["a newline", "/\n/evil.example"],
    ["a carriage return", "/\r/evil.example"],
    ["a NUL", "/\u0000/evil.example"],
    ["an encoded tab", "/%09/evil.example"],
    ["an encoded newline", "/%0a/evil.example"],
    ["an encoded carriage return", "/%0D/evil.example"],
    ["an encoded backslash", "/%5cevil.example"],
    ["encoded slashes", "/%2F%2Fevil.example"],
    ["a half-encoded double slash", "/%2fevil.example"],
    ["a broken escape", "/%E0%A4%A"],
    ["too long", `/${"a".repeat(600)}`],
  ])("refuses %s", (_, value) => {
    expect(safeReturnTo(value)).toBe("/");
  });
});
