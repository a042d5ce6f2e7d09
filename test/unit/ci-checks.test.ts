// The CI checks' own logic: wrangler warnings found in its output, bundle sizes measured as
// wrangler does, a lock missing another platform's build caught, workflow linting and its
// agreement with .ci/run.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { measure, sizeLine, wideChars, wranglerWarnings } from "../../scripts/check-bundles.ts";
import { checkLock } from "../../scripts/check-lock.ts";
import { firstDifference } from "../../scripts/check-types.ts";
import { lintWorkflows, npmCommands } from "../../scripts/lint-workflows.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "fnt-ci-checks-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("check:bundles", () => {
  it("finds wrangler's warning blocks, coloured or not, and nothing in a clean output", () => {
    const coloured =
      "\n ⛅️ wrangler 4.164.0\n\u001b[33m▲ \u001b[43;33m[\u001b[43;30mWARNING\u001b[43;33m]\u001b[0m \u001b[1mProcessing wrangler.toml configuration:\u001b[0m\n\n" +
      '    - "env.production" environment configuration\n      - The following vars exist at the top level, but not on "env.production.vars".\n        - GEMINI_API_KEY\n\n\nTotal Upload: 5396.00 KiB / gzip: 1139.54 KiB\n';
    const warnings = wranglerWarnings(coloured);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^▲ \[WARNING\] Processing wrangler.toml configuration:/);
    expect(warnings[0]).toContain("- GEMINI_API_KEY");
    expect(warnings[0]).not.toContain("Total Upload");
    expect(wranglerWarnings("Total Upload: 1 KiB / gzip: 1 KiB\n--dry-run: exiting now.\n")).toEqual([]);
  });

  it("measures the modules together, leaving out source maps and wrangler's README", () => {
    const a = "export default {};\n".repeat(500);
    const b = "const x = 1;\n".repeat(300);
    mkdirSync(path.join(dir, "chunks"));
    writeFileSync(path.join(dir, "index.js"), a);
    writeFileSync(path.join(dir, "chunks/b.js"), b);
    writeFileSync(path.join(dir, "index.js.map"), "x".repeat(10_000));
    writeFileSync(path.join(dir, "README.md"), "This folder contains the built output assets for the worker");
    const size = measure(dir);
    expect(size.files).toEqual(["chunks/b.js", "index.js"]);
    expect(size.raw).toBe(a.length + b.length);
    expect(size.gzip).toBe(gzipSync(Buffer.concat([Buffer.from(b), Buffer.from(a)])).length);
    expect(sizeLine("API", { raw: 5_525_505, gzip: 1_166_889 })).toBe(
      "API: 5.53 MB raw (5396 KiB), 1.17 MB gzip (1140 KiB) — 39% of the free plan's 3 MB, 12% of the paid plan's 10 MB",
    );
  });

  it("finds the characters that would make the script two bytes a character, and only those", () => {
    // Latin-1 (é, «) keeps a V8 string at one byte a character; U+2019 does not.
    expect(wideChars(String.raw`var a="été \u00a0«»";var b=/[\u2019]/`)).toEqual([]);
    const found = wideChars("var a=1;var r=/[’ʼ]/g;", 4);
    expect(found).toHaveLength(2);
    expect(found[0]).toBe("U+2019 at 16: …r=/[’ʼ]/…");
    expect(found[1]).toMatch(/^U\+02BC at 17: /);
  });
});

describe("check:lock", () => {
  it("the committed lock has every optional build, for darwin and win32 too", () => {
    const lock = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
    const { missing, platforms } = checkLock(lock);
    expect(missing).toEqual([]);
    for (const p of [
      "@cloudflare/workerd-darwin-arm64",
      "@cloudflare/workerd-darwin-64",
      "@cloudflare/workerd-windows-64",
      "@cloudflare/workerd-linux-arm64",
    ]) {
      expect(lock.packages[`node_modules/${p}`], p).toBeDefined();
    }
    expect(platforms.darwin).toBeGreaterThan(5);
    expect(platforms.win32).toBeGreaterThan(5);
  });

  it("a lock without another platform's build fails, nested packages resolved as Node does", () => {
    const lock = {
      packages: {
        "": { optionalDependencies: { fsevents: "^2" } },
        "node_modules/workerd": {
          version: "1",
          optionalDependencies: { "@cloudflare/workerd-linux-64": "1", "@cloudflare/workerd-darwin-arm64": "1" },
        },
        "node_modules/@cloudflare/workerd-linux-64": { version: "1", optional: true, os: ["linux"] },
        "node_modules/tool/node_modules/esbuild": { version: "0.18", optionalDependencies: { "@esbuild/win32-x64": "0.18" } },
        "node_modules/tool/node_modules/@esbuild/win32-x64": { version: "0.18", optional: true, os: ["win32"] },
      },
    };
    expect(checkLock(lock).missing).toEqual(["(root) -> fsevents", "node_modules/workerd -> @cloudflare/workerd-darwin-arm64"]);
    expect(checkLock(lock).platforms).toEqual({ linux: 1, win32: 1 });
  });
});

describe("check:types", () => {
  it("shows where the committed file and the regenerated one part", () => {
    expect(firstDifference("a\nb\nc\n", "a\nb\nc\n")).toBe("");
    expect(firstDifference("a\r\nb\r\n", "a\nb\n")).toBe("");
    expect(firstDifference("a\nb\nc\nd\n", "a\nb\nX\nc\nd\n")).toBe("@@ line 3 @@\n  a\n  b\n+ X");
  });
});

describe("lint:workflows", () => {
  it("the project's workflows pass, and run every npm command of .ci/run", async () => {
    expect(await lintWorkflows(path.join(ROOT, ".github/workflows"), { ciScript: path.join(ROOT, ".ci/run") })).toEqual([]);
  });

  it("catches a broken workflow, and a step of .ci/run the workflow lacks", async () => {
    writeFileSync(
      path.join(dir, "ci.yml"),
      [
        "on:",
        "  pushh:",
        "jobs:",
        "  test:",
        "    runs-on: ubuntu-latest",
        "    needs: build",
        "    steps:",
        "      - uses: actions/checkout@v4",
        "        with:",
        "          fetch-deepth: 1",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
        "      - run: npm ci && npm test ${{ github.reff }}",
        "",
      ].join("\n"),
    );
    writeFileSync(path.join(dir, "run"), "npm ci --no-audit\n# npm run ignored\nnpm run typecheck\nnpm test -- --reporter=json\n");
    const problems = (await lintWorkflows(dir, { ciScript: path.join(dir, "run") })).join("\n");
    expect(problems).toContain('unknown Webhook event "pushh"');
    expect(problems).toContain('needs job "build" which does not exist');
    expect(problems).toContain('input "fetch-deepth" is not defined in action "actions/checkout@v4"');
    expect(problems).toContain('property "reff" is not defined');
    expect(problems).toContain("[action-validator");
    expect(problems).toContain("runs `npm run typecheck` but no workflow does");
    expect(problems).not.toContain("npm run ignored");
    expect(await lintWorkflows(path.join(dir, "none"))).toEqual([expect.stringMatching(/^no workflow in /)]);
  });

  it("reads npm commands out of a shell script", () => {
    expect([...npmCommands("npm ci --no-audit\nnpm run check:web && npm test -- -x # npm run not-this\n")]).toEqual([
      "npm ci",
      "npm run check:web",
      "npm test",
    ]);
  });
});

describe("check:deps (dependency-cruiser) with the project's rules", () => {
  it("fails on a cycle, on a room importing worker/api/, and on the pipeline importing a Worker room; passes the tree as it is", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "fnt-deps-"));
    try {
      const file = (p: string, text: string) => {
        mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
        writeFileSync(path.join(dir, p), text);
      };
      file("tsconfig.json", JSON.stringify({ compilerOptions: { module: "esnext", moduleResolution: "bundler", strict: true } }));
      file("worker/jobs/a.ts", 'import { b } from "./b";\nexport const a = () => b;\n');
      file("worker/jobs/b.ts", 'import { a } from "./a";\nexport const b = () => a;\n');
      file("worker/credits/c.ts", 'import { route } from "../api/r";\nexport const c = route;\n');
      file("worker/api/r.ts", "export const route = 1;\n");
      file("worker/pipeline/p.ts", 'import { c } from "../credits/c";\nexport const p = c;\n');
      file("worker/index.ts", 'import { route } from "./api/r";\nexport default route;\n');
      const run = (cwd: string) =>
        spawnSync(
          path.join(ROOT, "node_modules/.bin/depcruise"),
          ["worker", "--config", path.join(ROOT, ".dependency-cruiser.cjs"), "--output-type", "err"],
          { cwd, encoding: "utf8" },
        );
      const bad = run(dir);
      expect(bad.status).not.toBe(0);
      expect(bad.stdout).toContain("no-circular");
      expect(bad.stdout).toMatch(/api-is-the-top: worker\/credits\/c\.ts → worker\/api\/r\.ts/);
      expect(bad.stdout).toMatch(/pure-rooms-stay-pure: worker\/pipeline\/p\.ts → worker\/credits\/c\.ts/);
      // worker/index.ts may import the routes.
      expect(bad.stdout).not.toMatch(/worker\/index\.ts → worker\/api/);
      const good = spawnSync("npm", ["run", "-s", "check:deps"], { cwd: ROOT, encoding: "utf8" });
      expect(good.status, good.stdout + good.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
