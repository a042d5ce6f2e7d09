import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";

// What a local stack keeps on disk (its PERSIST_DIR): wrangler's state folder, where D1, every
// Durable Object and R2's object metadata are SQLite databases, and R2's bodies are blob files.

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

const SQLITE = /\.sqlite$/;
/** SQLite's own side files: their pages belong to the database, read through it. */
const SQLITE_SIDE = /\.sqlite-(wal|shm|journal)$/;

/**
 * Where any of `needles` is still in the state: a row of any table of any SQLite database
 * (D1, the Durable Objects, R2's metadata), or the bytes of any other file (R2's blobs). SQLite's
 * own files are read as databases, not bytes: a deleted row's bytes may linger in a free page until
 * SQLite reuses it, which is no row anyone can read (D1 refuses PRAGMA secure_delete). `skip`:
 * paths (relative to the state folder) left out.
 */
export function stateHolding(state: string, needles: string[], skip?: RegExp): string[] {
  const found = new Set<string>();
  const root = path.join(state, "v3");
  for (const file of files(root)) {
    const rel = path.relative(state, file);
    if (SQLITE_SIDE.test(file) || skip?.test(rel)) continue;
    if (SQLITE.test(file)) {
      const db = new DatabaseSync(file);
      try {
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
        for (const { name } of tables) {
          const rows = db.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}"`);
          // Some of workerd's own tables hold nanosecond times: past a JavaScript number.
          rows.setReadBigInts(true);
          for (const row of rows.all()) {
            const text = Object.values(row)
              .map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : String(v)))
              .join("\n");
            for (const n of needles) if (text.includes(n)) found.add(`${rel} ${name}: ${n}`);
          }
        }
      } finally {
        db.close();
      }
      continue;
    }
    const bytes = readFileSync(file);
    for (const n of needles) if (bytes.includes(Buffer.from(n))) found.add(`${rel}: ${n}`);
  }
  return [...found].sort();
}

/** Each Durable Object database of one class: its bytes on disk (WAL included) and how many tables it holds (an emptied object: none). */
export function objectDatabases(state: string, className: string): { file: string; bytes: number; tables: number }[] {
  const dir = path.join(state, "v3/do", `french-novel-tool-${className}`);
  const out: { file: string; bytes: number; tables: number }[] = [];
  for (const file of existsSync(dir) ? files(dir) : []) {
    if (!SQLITE.test(file) || path.basename(file) === "metadata.sqlite") continue;
    const bytes = [file, `${file}-wal`].reduce((n, f) => n + (existsSync(f) ? statSync(f).size : 0), 0);
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      const { n } = db
        .prepare(
          "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite_%'",
        )
        .get() as { n: number };
      out.push({ file, bytes, tables: n });
    } finally {
      db.close();
    }
  }
  return out;
}

/** The Durable Object databases of one class that hold any table. */
export const objectsWithTables = (state: string, className: string) => objectDatabases(state, className).filter((d) => d.tables > 0).length;
