#!/usr/bin/env node
// `npm run check:bundles`: builds both Workers exactly as a deploy would, without uploading —
// `wrangler deploy --dry-run --env production --outdir …` for the API (wrangler.toml) and, after
// `npm run build:web`, for the app (web/wrangler.toml) — fails on any warning wrangler prints
// (config validation included), and prints each bundle's size raw and gzip-compressed beside
// Cloudflare's limits on a Worker's compressed size: 3 MB on the free plan, 10 MB on the paid
// one. Over the paid limit fails (the project needs the paid plan anyway: [limits] cpu_ms).
// `--keep` leaves the bundles in the printed folder.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Cloudflare's limits on a Worker's size after compression (decimal megabytes, the lower reading). */
export const LIMITS = { free: 3_000_000, paid: 10_000_000 };

/** The warnings in wrangler's output: each "▲ [WARNING] …" block, colours removed. */
export function wranglerWarnings(output: string): string[] {
  const lines = stripVTControlCharacters(output).split(/\r?\n/);
  const warnings: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/\[WARNING\]/.test(lines[i])) continue;
    const block = [lines[i].trim()];
    // The block goes on with indented or blank lines up to the next unindented one.
    for (let j = i + 1; j < lines.length && (lines[j] === "" || /^\s/.test(lines[j])); j++)
      if (lines[j].trim()) block.push(lines[j].trim());
    warnings.push(block.join("\n  "));
  }
  return warnings;
}

/** The files of a Worker's upload in a wrangler --outdir (modules; not source maps nor README.md). */
export function bundleFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!e.name.endsWith(".map") && !(d === dir && e.name === "README.md")) files.push(p);
    }
  };
  walk(dir);
  return files.sort();
}

/** {raw, gzip, files} of a bundle: gzip of all modules together, as wrangler measures it. */
export interface BundleSize {
  raw: number;
  gzip: number;
  files: string[];
}

export function measure(dir: string): BundleSize {
  const files = bundleFiles(dir);
  const contents = files.map((f) => readFileSync(f));
  const raw = contents.reduce((n, c) => n + c.length, 0);
  const gzip = gzipSync(Buffer.concat(contents)).length;
  return { raw, gzip, files: files.map((f) => path.relative(dir, f)) };
}

/**
 * Characters past U+00FF in a bundle's JavaScript, with what surrounds each. workerd makes a module's
 * source a V8 string (NewFromUtf8): one byte a character when every character fits Latin-1, two
 * bytes for all of it as soon as one does not. The API Worker's script is held so in every isolate,
 * so one such character (in a regex literal: esbuild escapes them in strings, and the minified
 * bundle has no comments) costs as many bytes again as the script has characters. Write it as an
 * escape (`\u2019`).
 */
export function wideChars(source: string, context = 30): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/[\u0100-\u{10ffff}]/gu)) {
    const at = m.index;
    found.push(
      `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} at ${at}: …${source.slice(Math.max(0, at - context), at + context)}…`,
    );
  }
  return found;
}

const mb = (n: number) => `${(n / 1_000_000).toFixed(2)} MB`;
const pct = (n: number, of: number) => `${((n / of) * 100).toFixed(0)}%`;

/** One line per bundle: sizes beside the limits. */
export function sizeLine(name: string, { raw, gzip }: { raw: number; gzip: number }): string {
  return (
    `${name}: ${mb(raw)} raw (${(raw / 1024).toFixed(0)} KiB), ${mb(gzip)} gzip (${(gzip / 1024).toFixed(0)} KiB)` +
    ` — ${pct(gzip, LIMITS.free)} of the free plan's 3 MB, ${pct(gzip, LIMITS.paid)} of the paid plan's 10 MB`
  );
}

function run(command: string, args: string[], cwd: string) {
  const r = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    shell: process.platform === "win32" && command === "npm",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0" },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status ?? 1, output: `${r.stdout ?? ""}${r.stderr ?? ""}`, error: r.error };
}

function npm(args: string[]) {
  const execpath = process.env.npm_execpath;
  return execpath && /\.[cm]?js$/.test(execpath) ? run(process.execPath, [execpath, ...args], root) : run("npm", args, root);
}

if (fileURLToPath(import.meta.url) === path.resolve(process.argv[1] ?? "")) {
  const keep = process.argv.includes("--keep");
  const out = mkdtempSync(path.join(tmpdir(), "fnt-bundles-"));
  const wrangler = path.join(root, "node_modules/wrangler/bin/wrangler.js");
  const failures: string[] = [];
  const lines: string[] = [];
  // latin1: the script must hold no character past U+00FF (see wideChars).
  const workers: { name: string; config: string; dir: string; build?: boolean; latin1?: boolean }[] = [
    { name: "API Worker (wrangler.toml)", config: "wrangler.toml", dir: path.join(out, "api"), latin1: true },
    { name: "app Worker (web/wrangler.toml)", config: "web/wrangler.toml", dir: path.join(out, "web"), build: true },
  ];
  try {
    for (const w of workers) {
      if (w.build) {
        const b = npm(["run", "build:web"]);
        if (b.status !== 0) {
          console.error(b.output);
          failures.push(`npm run build:web failed (exit ${b.status})`);
          continue;
        }
      }
      const args = ["deploy", "--dry-run", "--env", "production", "--outdir", w.dir, "-c", w.config];
      console.log(`$ wrangler ${args.join(" ")}`);
      const r = run(process.execPath, [wrangler, ...args], root);
      const total = stripVTControlCharacters(r.output).match(/Total Upload: .*/)?.[0];
      if (r.status !== 0) {
        console.error(r.output);
        failures.push(`${w.name}: wrangler deploy --dry-run failed (exit ${r.status})`);
        continue;
      }
      for (const warning of wranglerWarnings(r.output)) failures.push(`${w.name}: wrangler warns: ${warning}`);
      const size = measure(w.dir);
      if (size.files.length === 0) failures.push(`${w.name}: no bundle in ${w.dir}`);
      if (w.latin1) {
        for (const f of size.files.filter((f) => f.endsWith(".js"))) {
          const wide = wideChars(readFileSync(path.join(w.dir, f), "utf8"));
          for (const c of wide.slice(0, 20))
            failures.push(
              `${w.name}: ${f} has a character past U+00FF (the script would be held at two bytes a character; write it as \\u…): ${c}`,
            );
          if (wide.length > 20) failures.push(`${w.name}: ${f} has ${wide.length - 20} more such characters`);
        }
      }
      if (size.gzip > LIMITS.paid) failures.push(`${w.name}: ${mb(size.gzip)} compressed is over the paid plan's 10 MB`);
      lines.push(`${sizeLine(w.name, size)}${total ? ` [wrangler: ${total}]` : ""}`);
      if (size.gzip > LIMITS.free) lines.push(`  note: over the free plan's 3 MB (the paid plan is needed)`);
    }
  } finally {
    if (!keep) rmSync(out, { recursive: true, force: true });
  }
  for (const l of lines) console.log(l);
  if (keep) console.log(`bundles kept in ${out}`);
  if (failures.length) {
    for (const f of failures) console.error(`FAIL ${f}`);
    process.exit(1);
  }
  console.log("bundles: both Workers build for production with no wrangler warning");
}
