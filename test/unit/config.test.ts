import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, ConfigSchema, parseConfig } from "../../schema/config";

describe("the Worker's configuration (schema/config.ts)", () => {
  it("takes the defaults when unset or empty, numbers from strings, decimals where they make sense", () => {
    const c = parseConfig({
      MAX_UPLOAD_BYTES: "1000",
      CHUNK_CHARS: " 3000 ",
      MONTHLY_CREDITS: "12.5",
      RETRY_BASE_SECONDS: "0",
      MAX_JOBS_PER_HOUR: "",
    });
    expect(c).toMatchObject({
      MAX_UPLOAD_BYTES: 1000,
      CHUNK_CHARS: 3000,
      MONTHLY_CREDITS: 12.5,
      RETRY_BASE_SECONDS: 0,
      MAX_JOBS_PER_HOUR: 10,
      PARTS_TTL_SECONDS: 3600,
    });
  });

  it("names the first bad variable, with its value and what it means", () => {
    for (const [name, value, says] of [
      ["MAX_JOBS_PER_HOUR", "ten", "must be a number"],
      ["CHUNK_CHARS", "12.5", "whole number"],
      ["PARTS_TTL_SECONDS", "1", "at least 5"],
      ["RESERVATION_TTL_SECONDS", "30", "at least 60"],
    ] as const) {
      let err: unknown;
      try {
        parseConfig({ [name]: value });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).variable).toBe(name);
      expect((err as ConfigError).message).toContain(says);
      expect((err as ConfigError).message).toContain(`it is "${value}"`);
    }
  });

  it("reads every variable of wrangler.toml's [vars] it knows, in both environments, as they are set", () => {
    const toml = readFileSync(path.resolve(import.meta.dirname, "../../wrangler.toml"), "utf8");
    const vars = Object.fromEntries([...toml.matchAll(/^([A-Z_]+) = "([^"]*)"$/gm)].map((m) => [m[1], m[2]]));
    expect(() => parseConfig(vars)).not.toThrow();
    for (const key of Object.keys(ConfigSchema.shape)) expect(toml, key).toMatch(new RegExp(`^${key} = "`, "m"));
  });
});
