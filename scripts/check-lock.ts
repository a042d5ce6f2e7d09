#!/usr/bin/env node
// `npm run check:lock`: package-lock.json carries every platform's optional packages (workerd's,
// esbuild's, rolldown's, lightningcss'…), so `npm ci` installs the right ones on Linux, macOS and
// Windows alike. Every optional dependency that any locked package declares must resolve, the way
// Node resolves it, to an entry of the lock; a lock written by an npm that dropped the other
// platforms' builds fails here.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Where `name` resolves from the package at lock key `from` ("" is the root), or null. */
interface LockEntry {
  version?: string;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  optionalDependencies?: Record<string, string>;
}

function resolveInLock(packages: Record<string, LockEntry>, from: string, name: string): string | null {
  let dir = from;
  for (;;) {
    const key = `${dir ? `${dir}/` : ""}node_modules/${name}`;
    if (packages[key]) return key;
    if (!dir) return null;
    const i = dir.lastIndexOf("/node_modules/");
    dir = i < 0 ? "" : dir.slice(0, i);
  }
}

/** {missing: ["<package> -> <optional dependency>"], platforms: {os: count}} of a parsed lock. */
export function checkLock(lock: { packages?: Record<string, LockEntry> }): { missing: string[]; platforms: Record<string, number> } {
  const packages = lock.packages ?? {};
  const missing: string[] = [];
  const platforms: Record<string, number> = {};
  for (const [key, entry] of Object.entries(packages)) {
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) {
      if (!resolveInLock(packages, key, dep)) missing.push(`${key || "(root)"} -> ${dep}`);
    }
    if (entry.optional && entry.os) for (const os of entry.os) platforms[os] = (platforms[os] ?? 0) + 1;
  }
  return { missing, platforms };
}

if (fileURLToPath(import.meta.url) === path.resolve(process.argv[1] ?? "")) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const { missing, platforms } = checkLock(JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")));
  if (missing.length) {
    for (const m of missing) console.error(`missing from package-lock.json: ${m}`);
    console.error("The lock lacks other platforms' optional packages: `npm install --package-lock-only` adds them back (same versions).");
    process.exit(1);
  }
  const counts = Object.entries(platforms)
    .sort()
    .map(([os, n]) => `${os} ${n}`)
    .join(", ");
  console.log(`package-lock.json: every optional dependency is locked (platform packages by os: ${counts})`);
}
