#!/usr/bin/env node
// `npm run check:types`: worker/env.d.ts is what `npm run types` makes of wrangler.toml now.
// Runs that very command (it writes worker/env.d.ts in place: the file names its own path and
// imports ./index relative to itself, so it cannot be made elsewhere), compares the whole file
// with the committed one, and puts the committed one back whatever happens.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const file = path.join(root, "worker/env.d.ts");

/** The first lines where `a` and `b` differ, as a short unified-looking excerpt ("" if equal). */
export function firstDifference(a: string, b: string, context = 2): string {
  // Line endings are the checkout's business (git autocrlf), not the content's.
  const x = a.replace(/\r\n/g, "\n").split("\n");
  const y = b.replace(/\r\n/g, "\n").split("\n");
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  if (i === x.length && i === y.length) return "";
  const out = [`@@ line ${i + 1} @@`];
  for (let k = Math.max(0, i - context); k < i; k++) out.push(`  ${x[k]}`);
  // Align the tails so an insertion or removal shows as such.
  let ex = x.length - 1;
  let ey = y.length - 1;
  while (ex >= i && ey >= i && x[ex] === y[ey]) {
    ex--;
    ey--;
  }
  const cut = (lines: string[]) => (lines.length > 20 ? [...lines.slice(0, 20), `… ${lines.length - 20} more`] : lines);
  for (const l of cut(x.slice(i, ex + 1))) out.push(`- ${l}`);
  for (const l of cut(y.slice(i, ey + 1))) out.push(`+ ${l}`);
  return out.join("\n");
}

/** A line diff of the two texts by git (`git diff --no-index`), else the first difference. */
export function describeDifference(a: string, b: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "fnt-types-"));
  try {
    writeFileSync(path.join(dir, "committed.d.ts"), a.replace(/\r\n/g, "\n"));
    writeFileSync(path.join(dir, "regenerated.d.ts"), b.replace(/\r\n/g, "\n"));
    const git = spawnSync("git", ["diff", "--no-index", "--no-color", "-U1", "committed.d.ts", "regenerated.d.ts"], {
      cwd: dir,
      encoding: "utf8",
    });
    if (git.status === 1 && git.stdout) {
      const lines = git.stdout.split("\n");
      return lines.length > 80 ? [...lines.slice(0, 80), `… ${lines.length - 80} more lines`].join("\n") : git.stdout;
    }
    return firstDifference(a, b);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `npm run types`; returns {status, diff}: diff is "" when the committed file is current. */
export function checkTypes({ npm = npmCommand() } = {}): { status: number; diff: string; output: string } {
  const committed = readFileSync(file, "utf8");
  let regenerated: string;
  let result: SpawnSyncReturns<string>;
  try {
    result = spawnSync(npm.command, [...npm.args, "run", "-s", "types"], {
      cwd: root,
      encoding: "utf8",
      shell: npm.shell,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    regenerated = readFileSync(file, "utf8");
  } finally {
    writeFileSync(file, committed);
  }
  if (result.status !== 0) return { status: result.status ?? 1, diff: "", output: `${result.stdout}${result.stderr}` };
  const same = committed.replace(/\r\n/g, "\n") === regenerated.replace(/\r\n/g, "\n");
  return { status: 0, diff: same ? "" : describeDifference(committed, regenerated), output: "" };
}

/** npm itself: the one running this script when there is one (npm_execpath), else `npm`. */
export function npmCommand(): { command: string; args: string[]; shell: boolean } {
  const execpath = process.env.npm_execpath;
  if (execpath && /\.[cm]?js$/.test(execpath)) return { command: process.execPath, args: [execpath], shell: false };
  return { command: "npm", args: [], shell: process.platform === "win32" };
}

if (fileURLToPath(import.meta.url) === path.resolve(process.argv[1] ?? "")) {
  const { status, diff, output } = checkTypes();
  if (status !== 0) {
    console.error(output);
    console.error(`\`npm run types\` failed (exit ${status}).`);
    process.exit(1);
  }
  if (diff) {
    console.error("worker/env.d.ts is not what `npm run types` makes of wrangler.toml (- committed, + regenerated):");
    console.error(diff);
    console.error("Run `npm run types` and commit worker/env.d.ts.");
    process.exit(1);
  }
  console.log("worker/env.d.ts: up to date with wrangler.toml (`npm run types` makes the same file)");
}
