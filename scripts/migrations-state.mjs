// Whether the local D1 database under a wrangler state folder already has every migration of
// schema/migrations applied. `wrangler d1 migrations apply` costs a couple of seconds even when
// there is nothing to do (and ~0.7 s per migration when there is), so `npm start` asks this
// first and skips wrangler when the answer is yes. Any doubt (no database yet, two databases,
// an unreadable file, no node:sqlite) answers no, and wrangler decides as before.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

/** The migration file names wrangler would apply, in order. */
export function migrationNames(root) {
  return readdirSync(path.join(root, "schema/migrations"))
    .filter((f) => f.endsWith(".sql"))
    .sort();
}

export async function migrationsUpToDate(root, persist) {
  const dir = path.join(persist, "v3/d1/miniflare-D1DatabaseObject");
  if (!existsSync(dir)) return false;
  const files = readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  if (files.length !== 1) return false;
  try {
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(path.join(dir, files[0]), { readOnly: true });
    try {
      const applied = new Set(
        db
          .prepare("SELECT name FROM d1_migrations")
          .all()
          .map((r) => r.name),
      );
      return migrationNames(root).every((name) => applied.has(name));
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}
