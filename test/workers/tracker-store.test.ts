import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SCHEMA_VERSION, TrackerStore } from "../../worker/jobs/tracker/store";

// A tracker made before the schema was versioned has today's tables and no version: its store
// runs every step over them, each idempotent, and keeps what they hold.
const stub = () => env.JOB_TRACKER.get(env.JOB_TRACKER.idFromName(`store-${crypto.randomUUID()}`));
const columns = (sql: SqlStorage, table: string) =>
  sql
    .exec<{ name: string }>(`PRAGMA table_info(${table})`)
    .toArray()
    .map((c) => c.name);
const version = (sql: SqlStorage) => sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").toArray()[0]?.value;

const FIRST_TABLES = `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE chunks (
    n INTEGER PRIMARY KEY, state TEXT NOT NULL, first_page INTEGER NOT NULL, last_page INTEGER NOT NULL,
    result TEXT, sentences INTEGER NOT NULL DEFAULT 0, tokens INTEGER NOT NULL DEFAULT 0,
    error TEXT, updated_ms INTEGER NOT NULL);
  CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
  CREATE TABLE result_parts (n INTEGER NOT NULL, part INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (n, part));
`;

describe("JobTracker store: schema steps", () => {
  it("leaves an empty tracker empty", async () => {
    await runInDurableObject(stub(), (_i, state) => {
      const store = new TrackerStore(state.storage);
      expect(store.ready).toBe(false);
      expect(store.meta()).toBeNull();
      expect(state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").toArray()).toEqual([]);
    });
  });

  it("brings a first-version tracker up to date and keeps its job, chunks and events", async () => {
    await runInDurableObject(stub(), (_i, state) => {
      const sql = state.storage.sql;
      sql.exec(FIRST_TABLES);
      sql.exec("INSERT INTO meta (key, value) VALUES ('job', ?)", JSON.stringify({ job_id: "old", status: "processing", total: 1 }));
      sql.exec("INSERT INTO chunks (n, state, first_page, last_page, result, sentences, updated_ms) VALUES (0, 'done', 1, 2, '[]', 0, 5)");
      sql.exec('INSERT INTO events (body) VALUES (\'{"type":"status"}\')');
      const store = new TrackerStore(state.storage);
      expect(store.ready).toBe(true);
      expect(columns(sql, "chunks")).toEqual(expect.arrayContaining(["flags", "est_tokens"]));
      expect(version(sql)).toBe(String(SCHEMA_VERSION));
      expect(store.meta()?.job_id).toBe("old");
      expect(store.counts()).toEqual({ pending: 0, done: 1, failed: 0 });
      expect(store.estimates("done")).toEqual([{ n: 0, est_tokens: 0 }]);
      expect(store.eventsAfter(0)).toEqual([JSON.stringify({ seq: 1, type: "status" })]);
    });
  });

  it("runs over a tracker of the last unversioned schema, adding only the later steps' columns, and again over its own, changing nothing", async () => {
    await runInDurableObject(stub(), (_i, state) => {
      const sql = state.storage.sql;
      sql.exec(FIRST_TABLES);
      sql.exec("ALTER TABLE chunks ADD COLUMN flags TEXT");
      sql.exec("ALTER TABLE chunks ADD COLUMN est_tokens INTEGER NOT NULL DEFAULT 0");
      sql.exec(
        "INSERT INTO chunks (n, state, first_page, last_page, updated_ms, est_tokens, flags) VALUES (3, 'failed', 4, 6, 1, 42, '[1]')",
      );
      const before = columns(sql, "chunks");
      const store = new TrackerStore(state.storage);
      const after = columns(sql, "chunks");
      // Step 4 (leases and heartbeats) came after versions were kept.
      expect(after).toEqual([...before, "lease", "beat_ms", "quiet_until_ms", "lost", "admitted_ms"]);
      store.migrate();
      new TrackerStore(state.storage);
      expect(columns(sql, "chunks")).toEqual(after);
      expect(version(sql)).toBe(String(SCHEMA_VERSION));
      expect(store.estimates("failed")).toEqual([{ n: 3, est_tokens: 42 }]);
      expect(store.failedRanges()).toEqual([{ first_page: 4, last_page: 6 }]);
    });
  });
});
