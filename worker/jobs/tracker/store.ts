/**
 * A job tracker's SQLite tables: `meta` (the job's state, one JSON value), `chunks`, `events` (the
 * progress log clients replay with `after=`) and `result_parts` (a chunk result too long for its
 * row, ./result.ts). Every SQL statement of the tracker is here.
 */
import type { ProgressEvent } from "../../../schema/api";
import type { NormalizeResult } from "../../pipeline/types";
import { splitForRows, type DoneChunk, type PageRange } from "./result";
import type { Pace } from "./progress";
import type { ChunkPlan, ChunkState, Counts, Meta } from "./types";
import { LEASE_MS, type ChunkLife } from "./watchdog";

/** Adds a column unless the table has it: trackers made before it get it here. */
function addColumn(sql: SqlStorage, table: string, column: string, type: string) {
  const columns = sql.exec<{ name: string }>(`PRAGMA table_info(${table})`).toArray();
  if (!columns.some((c) => c.name === column)) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
}

/**
 * The schema, step by step: step i brings a tracker from version i to i + 1. Each step is
 * idempotent over the tables as they stood before versions were kept (a tracker made then has
 * none recorded and runs them all); new steps go at the end.
 */
const MIGRATIONS: ((sql: SqlStorage) => void)[] = [
  // 1: the first tables.
  (sql) =>
    sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS chunks (
        n INTEGER PRIMARY KEY, state TEXT NOT NULL, first_page INTEGER NOT NULL, last_page INTEGER NOT NULL,
        result TEXT, sentences INTEGER NOT NULL DEFAULT 0, tokens INTEGER NOT NULL DEFAULT 0,
        error TEXT, updated_ms INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS result_parts (
        n INTEGER NOT NULL, part INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (n, part));
    `),
  // 2: a chunk's quality flags.
  (sql) => addColumn(sql, "chunks", "flags", "TEXT"),
  // 3: a chunk's token estimate (what the local engine bills).
  (sql) => addColumn(sql, "chunks", "est_tokens", "INTEGER NOT NULL DEFAULT 0"),
  // 4: who works on a pending chunk and its last heartbeat, until when it waits, times its worker was lost (./watchdog.ts).
  (sql) => {
    addColumn(sql, "chunks", "lease", "TEXT");
    addColumn(sql, "chunks", "beat_ms", "INTEGER");
    addColumn(sql, "chunks", "quiet_until_ms", "INTEGER");
    addColumn(sql, "chunks", "lost", "INTEGER NOT NULL DEFAULT 0");
    addColumn(sql, "chunks", "admitted_ms", "INTEGER");
  },
];
export const SCHEMA_VERSION = MIGRATIONS.length;
const VERSION_KEY = "schema_version";

export interface InspectedChunk {
  n: number;
  state: ChunkState;
  first_page: number;
  last_page: number;
  sentences: number;
  tokens: number;
  error: string | null;
  updated_at: string;
}

export class TrackerStore {
  /**
   * Whether the tables exist: a job's tracker makes them at register(), and a purge or a let-go
   * drops them with the rest. An empty tracker stays empty: a late call finds no job.
   */
  ready: boolean;

  constructor(private readonly storage: DurableObjectStorage) {
    this.ready = this.tableExists("meta");
    if (this.ready) this.migrate();
  }

  get sql(): SqlStorage {
    return this.storage.sql;
  }

  private tableExists(name: string): boolean {
    return this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", name).toArray().length > 0;
  }

  /** Makes or updates the tables (./MIGRATIONS), in one transaction. */
  migrate(): void {
    this.storage.transactionSync(() => {
      const row = this.tableExists("meta")
        ? this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", VERSION_KEY).toArray()[0]
        : undefined;
      const from = row ? Number(row.value) || 0 : 0;
      if (from >= SCHEMA_VERSION) return;
      for (const step of MIGRATIONS.slice(from)) step(this.sql);
      this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", VERSION_KEY, String(SCHEMA_VERSION));
    });
    this.ready = true;
  }

  // ---- the job's state -----------------------------------------------------------

  meta(): Meta | null {
    if (!this.ready) return null;
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'job'").toArray()[0];
    return row ? (JSON.parse(row.value) as Meta) : null;
  }

  saveMeta(m: Meta): void {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('job', ?)", JSON.stringify(m));
  }

  // ---- chunks --------------------------------------------------------------------

  counts(): Counts {
    const rows = this.sql.exec<{ state: ChunkState; c: number }>("SELECT state, COUNT(*) AS c FROM chunks GROUP BY state").toArray();
    const c = { pending: 0, done: 0, failed: 0 };
    for (const r of rows) c[r.state] = r.c;
    return c;
  }

  chunkState(n: number): ChunkState | undefined {
    return this.sql.exec<{ state: ChunkState }>("SELECT state FROM chunks WHERE n = ?", n).toArray()[0]?.state;
  }

  addChunks(chunks: ChunkPlan[], now: number): void {
    for (const [n, c] of chunks.entries()) {
      this.sql.exec(
        "INSERT OR IGNORE INTO chunks (n, state, first_page, last_page, updated_ms, est_tokens) VALUES (?, 'pending', ?, ?, ?, ?)",
        n,
        c.first_page,
        c.last_page,
        now,
        c.tokens ?? 0,
      );
    }
  }

  /**
   * Takes a pending chunk for a worker (its `lease`): `taken`; `held` when that lease has it
   * already (its next model call); `busy` when another worker holds it and still beats (a
   * duplicate delivery) or it is not pending.
   */
  claim(n: number, lease: string, now: number): "taken" | "held" | "busy" {
    const c = this.sql
      .exec<{ lease: string | null; beat_ms: number | null }>("SELECT lease, beat_ms FROM chunks WHERE n = ? AND state = 'pending'", n)
      .toArray()[0];
    if (!c) return "busy";
    if (c.lease === lease) {
      this.sql.exec("UPDATE chunks SET beat_ms = ? WHERE n = ?", now, n);
      return "held";
    }
    if (c.lease !== null && now - (c.beat_ms ?? 0) <= LEASE_MS) return "busy";
    this.sql.exec("UPDATE chunks SET lease = ?, beat_ms = ?, quiet_until_ms = NULL WHERE n = ?", lease, now, n);
    return "taken";
  }

  /** The holder's model call was let through by the shared limiter now (the ETA's clock). */
  admit(n: number, lease: string, now: number): void {
    this.sql.exec("UPDATE chunks SET admitted_ms = ?, beat_ms = ? WHERE n = ? AND state = 'pending' AND lease = ?", now, now, n, lease);
  }

  /** The chunks as a paced job's ETA reads them (./progress.ts `pacedEta`), quota aside. */
  pace(now: number): Omit<Pace, "rpm" | "tpm"> {
    const waiting = this.sql
      .exec<{ c: number; t: number | null }>(
        "SELECT COUNT(*) AS c, SUM(est_tokens) AS t FROM chunks WHERE state = 'pending' AND admitted_ms IS NULL",
      )
      .one();
    const inFlightSeconds = this.sql
      .exec<{ a: number }>("SELECT admitted_ms AS a FROM chunks WHERE state = 'pending' AND admitted_ms IS NOT NULL")
      .toArray()
      .map((r) => (now - r.a) / 1000);
    // The recent calls: a job's pace is today's, not that of its first minutes.
    const calls = this.sql
      .exec<{ s: number }>(
        "SELECT (updated_ms - admitted_ms) / 1000.0 AS s FROM chunks WHERE state = 'done' AND admitted_ms IS NOT NULL ORDER BY updated_ms DESC LIMIT 21",
      )
      .toArray()
      .map((r) => r.s)
      .sort((a, b) => a - b);
    const callSeconds = calls.length ? calls[Math.floor(calls.length / 2)]! : null;
    return { waiting: waiting.c, waitingTokens: waiting.t ?? 0, inFlightSeconds, callSeconds };
  }

  /** Gives a lease back at once (the chunk was not worked on). */
  unclaim(n: number, lease: string): void {
    this.sql.exec("UPDATE chunks SET lease = NULL, beat_ms = NULL WHERE n = ? AND lease = ?", n, lease);
  }

  /** Token estimates of the pending chunks: all of them, and those a live worker holds. */
  pendingEstimates(now: number): { all: number; held: number } {
    return this.sql
      .exec<{ all: number | null; held: number | null }>(
        "SELECT SUM(est_tokens) AS \"all\", SUM(CASE WHEN lease IS NOT NULL AND beat_ms >= ? THEN est_tokens ELSE 0 END) AS held FROM chunks WHERE state = 'pending'",
        now - LEASE_MS,
      )
      .toArray()
      .map((r) => ({ all: r.all ?? 0, held: r.held ?? 0 }))[0]!;
  }

  /** Tokens a chunk's failed attempt used: they count towards the chunk and are billed. */
  addTokens(n: number, tokens: number): void {
    this.sql.exec("UPDATE chunks SET tokens = tokens + ? WHERE n = ?", tokens, n);
  }

  /** A heartbeat of the worker holding the chunk; false when the chunk is no longer its. */
  beat(n: number, lease: string, now: number): boolean {
    return this.sql.exec("UPDATE chunks SET beat_ms = ? WHERE n = ? AND state = 'pending' AND lease = ?", now, n, lease).rowsWritten > 0;
  }

  /** The worker lets the chunk go: it waits in the queue until `until` (a rate limit, a retry's backoff). */
  pause(n: number, lease: string, until: number): void {
    this.sql.exec(
      "UPDATE chunks SET lease = NULL, beat_ms = NULL, admitted_ms = NULL, quiet_until_ms = ? WHERE n = ? AND state = 'pending' AND (lease = ? OR lease IS NULL)",
      until,
      n,
      lease,
    );
  }

  /** Chunks sent again by the watchdog: their leases dropped, and counted as lost where a worker held them. */
  resend(ns: number[]): void {
    for (const n of ns) {
      this.sql.exec(
        "UPDATE chunks SET lost = lost + (lease IS NOT NULL), lease = NULL, beat_ms = NULL, admitted_ms = NULL, quiet_until_ms = NULL WHERE n = ?",
        n,
      );
    }
  }

  /** The pending chunks with who works on them, for the watchdog. */
  lives(): ChunkLife[] {
    return this.sql
      .exec<ChunkLife>("SELECT n, lease, beat_ms, quiet_until_ms, lost FROM chunks WHERE state = 'pending' ORDER BY n")
      .toArray();
  }

  markDone(n: number, result: NormalizeResult, now: number): void {
    this.sql.exec(
      "UPDATE chunks SET state = 'done', result = ?, sentences = ?, tokens = tokens + ?, flags = ?, updated_ms = ?, lease = NULL WHERE n = ?",
      this.keepResult(n, JSON.stringify(result.sentences)),
      result.sentences.length,
      result.tokens,
      result.flags?.length ? JSON.stringify(result.flags) : null,
      now,
      n,
    );
  }

  markFailed(n: number, reason: string, now: number): void {
    this.sql.exec("UPDATE chunks SET state = 'failed', error = ?, updated_ms = ?, lease = NULL WHERE n = ?", reason, now, n);
  }

  /** Failed chunks back to pending, for a retry. */
  markPending(ns: number[], now: number): void {
    for (const n of ns)
      this.sql.exec(
        "UPDATE chunks SET state = 'pending', error = NULL, updated_ms = ?, lease = NULL, admitted_ms = NULL, quiet_until_ms = NULL, lost = 0 WHERE n = ?",
        now,
        n,
      );
  }

  /** Keeps a chunk's sentences (in result_parts when too long for its row); returns its row's `result`. */
  keepResult(n: number, json: string): string | null {
    const parts = splitForRows(json);
    this.sql.exec("DELETE FROM result_parts WHERE n = ?", n);
    if (parts.length > 1)
      for (const [i, body] of parts.entries()) this.sql.exec("INSERT INTO result_parts (n, part, body) VALUES (?, ?, ?)", n, i, body);
    return parts.length > 1 ? null : json;
  }

  /** A result kept in parts (see RESULT_PART_CHARS), joined again. */
  private resultParts(n: number): string {
    return this.sql
      .exec<{ body: string }>("SELECT body FROM result_parts WHERE n = ? ORDER BY part", n)
      .toArray()
      .map((p) => p.body)
      .join("");
  }

  /** The done chunks in order, their sentences' JSON whole. */
  doneChunks(): DoneChunk[] {
    return this.sql
      .exec<{ n: number; result: string | null; flags: string | null; first_page: number; last_page: number }>(
        "SELECT n, result, flags, first_page, last_page FROM chunks WHERE state = 'done' ORDER BY n",
      )
      .toArray()
      .map(({ result, ...r }) => ({ ...r, json: result ?? this.resultParts(r.n) }));
  }

  /** Chunks in a state with their token estimates, in order. */
  estimates(state: ChunkState): { n: number; est_tokens: number }[] {
    return this.sql.exec<{ n: number; est_tokens: number }>("SELECT n, est_tokens FROM chunks WHERE state = ? ORDER BY n", state).toArray();
  }

  failedRanges(): PageRange[] {
    return this.sql
      .exec<{ first_page: number; last_page: number }>("SELECT first_page, last_page FROM chunks WHERE state = 'failed'")
      .toArray();
  }

  pendingChunks(): number[] {
    if (!this.ready) return [];
    return this.sql
      .exec<{ n: number }>("SELECT n FROM chunks WHERE state = 'pending' ORDER BY n")
      .toArray()
      .map((r) => r.n);
  }

  inspectChunks(): InspectedChunk[] {
    return this.sql
      .exec<Omit<InspectedChunk, "updated_at"> & { updated_ms: number }>(
        "SELECT n, state, first_page, last_page, sentences, tokens, error, updated_ms FROM chunks ORDER BY n",
      )
      .toArray()
      .map(({ updated_ms, ...c }) => ({ ...c, updated_at: new Date(updated_ms).toISOString() }));
  }

  // ---- the event log -------------------------------------------------------------

  /** Logs an event; returns its seq. */
  addEvent(body: Omit<ProgressEvent, "seq">): number {
    return this.sql.exec<{ seq: number }>("INSERT INTO events (body) VALUES (?) RETURNING seq", JSON.stringify(body)).one().seq;
  }

  /** Events after `after`, oldest first, as sent. */
  eventsAfter(after: number): string[] {
    if (!this.ready) return [];
    return this.sql
      .exec<{ seq: number; body: string }>("SELECT seq, body FROM events WHERE seq > ? ORDER BY seq", after)
      .toArray()
      .map((e) => JSON.stringify({ seq: e.seq, ...JSON.parse(e.body) }));
  }

  /** The last `limit` events, newest last. */
  recentEvents(limit: number): (ProgressEvent & { seq: number })[] {
    return this.sql
      .exec<{ seq: number; body: string }>("SELECT seq, body FROM events ORDER BY seq DESC LIMIT ?", limit)
      .toArray()
      .reverse()
      .map((e) => ({ seq: e.seq, ...(JSON.parse(e.body) as Omit<ProgressEvent, "seq">) }));
  }
}
