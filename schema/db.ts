import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const createdAt = () => text("created_at").notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`);

/**
 * A reader. Found again by the identity provider's (issuer, subject), never by email alone:
 * an email can change hands or be claimed at another provider. Development sign-ins use
 * the issuer "dev" with the email as subject.
 */
export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    email: text("email").notNull(),
    name: text("name"),
    issuer: text("issuer").notNull().default("dev"),
    subject: text("subject").notNull().default(""),
    created_at: createdAt(),
    /**
     * Set when the reader asked for the account to be deleted (DELETE /api/v1/me): from then on the
     * row has no email, name or identity (a new sign-in makes a new account) and the deletion is
     * finished in the background, by the cron if it stopped midway (worker/account/delete.ts).
     */
    deleting_since: text("deleting_since"),
  },
  (t) => [
    uniqueIndex("users_identity").on(t.issuer, t.subject),
    index("users_email").on(t.email),
    index("users_deleting").on(t.deleting_since),
  ],
);

export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    owner_id: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    status: text("status", {
      enum: ["reserved", "uploading", "queued", "planning", "processing", "completed", "partial", "failed", "cancelled"],
    }).notNull(),
    progress_percent: integer("progress_percent").notNull().default(0),
    current_step: text("current_step").notNull().default("queued"),
    total_chunks: integer("total_chunks").notNull().default(0),
    processed_chunks: integer("processed_chunks").notNull().default(0),
    failed_chunks: integer("failed_chunks").notNull().default(0),
    original_filename: text("original_filename").notNull(),
    file_size: integer("file_size").notNull().default(0),
    page_count: integer("page_count"),
    /** JSON of JobSettings. */
    settings: text("settings").notNull(),
    engine: text("engine", { enum: ["local", "gemini"] }).notNull(),
    model: text("model"),
    estimated_tokens: integer("estimated_tokens"),
    actual_tokens: integer("actual_tokens").notNull().default(0),
    sentence_count: integer("sentence_count"),
    /** JSON array of page numbers whose chunks failed (status partial). */
    failed_pages: text("failed_pages"),
    error_code: text("error_code"),
    error_message: text("error_message"),
    created_at: text("created_at").notNull(),
    started_at: text("started_at"),
    completed_at: text("completed_at"),
    processing_time_seconds: integer("processing_time_seconds"),
    /** Credits in millicredits (integers: sums never drift); the API shows credits. */
    estimated_millicredits: integer("estimated_millicredits"),
    actual_millicredits: integer("actual_millicredits"),
    pricing_version: text("pricing_version"),
    /** Credits per 1,000 tokens this job is priced at. */
    pricing_rate: real("pricing_rate"),
    /** A `reserved` job (credits held ahead of its upload) lapses then. */
    reservation_expires_at: text("reservation_expires_at"),
    /** Where the job's webhook events go (the upload's `webhook_url`, else the user's default). */
    webhook_url: text("webhook_url"),
    /** Also a `job.progress` event every this many percent (null: final events only). */
    webhook_progress_every: integer("webhook_progress_every"),
    /** When the cron removed the uploaded files of this ended job (results stay). */
    uploads_expired_at: text("uploads_expired_at"),
    /** A book sent in parts (consecutive page ranges, see `jobParts`): how many; null for one file. */
    part_count: integer("part_count"),
    /** Parts stored so far (equal to part_count once the upload is whole). */
    parts_received: integer("parts_received").notNull().default(0),
    /** An `uploading` job whose parts are not all in by then fails (upload_incomplete). */
    upload_expires_at: text("upload_expires_at"),
    /** Pages in the book (page_count is the pages read: fewer with the `pages` setting); null until known. */
    book_page_count: integer("book_page_count"),
    /**
     * A job made by "process again" (POST /jobs/:id/rerun) reads the files uploaded with this
     * job (uploads/<source_job_id>/…, which may outlive that job's row); null: its own upload.
     */
    source_job_id: text("source_job_id"),
    /** The job "process again" was asked of (null for an upload). */
    rerun_of: text("rerun_of"),
    /** SHA-256 of the uploaded book (the PDF; for parts or page images, of their hashes in order). */
    source_sha256: text("source_sha256"),
    /** An earlier job of the same reader on the same book (same SHA-256, its upload still kept) when this one was uploaded. */
    same_source_as: text("same_source_as"),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [
    index("jobs_owner_created").on(t.owner_id, t.created_at),
    index("jobs_status").on(t.status),
    index("jobs_owner_storage").on(t.owner_id, t.uploads_expired_at),
    index("jobs_owner_source_sha").on(t.owner_id, t.source_sha256),
    index("jobs_source").on(t.source_job_id),
  ],
);

export type JobRow = typeof jobs.$inferSelect;

/**
 * The PDF parts of a job sent in parts, each a consecutive page range of the book, in order
 * (`n` from 1). A part sent again replaces its row (and its file); once the job has left
 * `uploading` the rows no longer change, so the plan step reads a fixed list.
 */
export const jobParts = sqliteTable(
  "job_parts",
  {
    job_id: text("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    n: integer("n").notNull(),
    /** Where the part is in R2 (under uploads/<job>/). */
    key: text("key").notNull(),
    size: integer("size").notNull(),
    filename: text("filename").notNull(),
    /** Hex SHA-256 of the part's bytes. */
    sha256: text("sha256").notNull(),
    created_at: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.job_id, t.n] })],
);

export type JobPartRow = typeof jobParts.$inferSelect;
export type UserRow = typeof users.$inferSelect;

/** A reader's correction of one sentence of a finished job; merged into results and exports. */
export const sentenceEdits = sqliteTable(
  "sentence_edits",
  {
    job_id: text("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    idx: integer("idx").notNull(),
    text: text("text").notNull(),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.job_id, t.idx] })],
);

/**
 * A browser (or development) session. Only the SHA-256 of its token is stored, so a copy of
 * the database signs nobody in; ending a session deletes its row.
 */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    token_hash: text("token_hash").notNull().unique(),
    user_agent: text("user_agent"),
    created_at: text("created_at").notNull(),
    last_seen_at: text("last_seen_at").notNull(),
    expires_at: text("expires_at").notNull(),
  },
  (t) => [index("sessions_user").on(t.user_id)],
);

/** A program's credential: shown once, stored as its SHA-256 only. Revoked keys stay for the record. */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    last4: text("last4").notNull(),
    key_hash: text("key_hash").notNull().unique(),
    created_at: text("created_at").notNull(),
    last_used_at: text("last_used_at"),
    expires_at: text("expires_at"),
    revoked_at: text("revoked_at"),
  },
  (t) => [index("api_keys_user").on(t.user_id)],
);

/**
 * A sign-in in progress: what the callback must find again (PKCE verifier, nonce) under the
 * hash of its `state`, bound to the browser that started it. Used once, then deleted.
 */
export const authFlows = sqliteTable("auth_flows", {
  state_hash: text("state_hash").primaryKey(),
  browser_hash: text("browser_hash").notNull(),
  code_verifier: text("code_verifier").notNull(),
  nonce: text("nonce").notNull(),
  return_to: text("return_to").notNull(),
  expires_at: text("expires_at").notNull(),
});

/**
 * Open WebSockets by credential, so that ending a session or revoking a key can close the
 * sockets it opened, in whichever job's tracker they live.
 */
export const liveSockets = sqliteTable(
  "live_sockets",
  {
    id: text("id").primaryKey(),
    job_id: text("job_id").notNull(),
    credential: text("credential").notNull(),
    opened_at: text("opened_at").notNull(),
  },
  (t) => [index("live_sockets_credential").on(t.credential)],
);

export type SessionRow = typeof sessions.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;

/** Every operator action, for the record: who did what to what, and when. Append-only. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: text("at").notNull(),
    actor_id: text("actor_id").notNull(),
    actor_email: text("actor_email").notNull(),
    action: text("action").notNull(),
    target_type: text("target_type").notNull(),
    target_id: text("target_id"),
    /** JSON: what the action was given and what it did. */
    detail: text("detail"),
  },
  (t) => [index("audit_at").on(t.at)],
);

/**
 * One row per attempt of a chunk by a consumer: the stored record the console's throughput,
 * latency, failure and metrics panels read, so they survive restarts.
 */
export const chunkAttempts = sqliteTable(
  "chunk_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    job_id: text("job_id").notNull(),
    chunk: integer("chunk").notNull(),
    attempt: integer("attempt").notNull(),
    engine: text("engine").notNull(),
    model: text("model"),
    pages: integer("pages").notNull(),
    started_at: text("started_at").notNull(),
    latency_ms: integer("latency_ms").notNull(),
    tokens: integer("tokens").notNull(),
    /** done | retry (will be tried again) | deferred (waiting for a rate limit) | failed (for good). */
    outcome: text("outcome").notNull(),
    error_class: text("error_class"),
    error_message: text("error_message"),
  },
  (t) => [index("attempts_job").on(t.job_id, t.chunk), index("attempts_started").on(t.started_at)],
);

/** Messages that reached a dead-letter queue, kept so an operator can replay them. */
export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: text("id").primaryKey(),
    queue: text("queue").notNull(),
    body: text("body").notNull(),
    job_id: text("job_id"),
    chunk: integer("chunk"),
    error_class: text("error_class").notNull(),
    received_at: text("received_at").notNull(),
    replayed_at: text("replayed_at"),
  },
  (t) => [index("dead_letters_received").on(t.received_at)],
);

/** Switches of the whole service (intake paused) and heartbeats (each consumer's last run). */
export const serviceState = sqliteTable("service_state", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updated_at: text("updated_at").notNull(),
});

/**
 * Idempotency-Key of a job-creating request, per user, with the answer it produced: the same
 * key and body within 24 h get that answer again, and no second job, reservation or charge.
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    user_id: text("user_id").notNull(),
    key: text("key").notNull(),
    route: text("route").notNull(),
    /** in_progress while the first request is answered, then done. */
    state: text("state").notNull(),
    /** SHA-256 of what the request asked (fields and files' hashes, or the JSON body). */
    fingerprint: text("fingerprint"),
    status: integer("status"),
    body: text("body"),
    /** JSON of the answer's headers worth replaying (Location, RateLimit-*). */
    headers: text("headers"),
    created_at: text("created_at").notNull(),
    expires_at: text("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.user_id, t.key] }), index("idempotency_expires").on(t.expires_at)],
);

/** A user's webhook settings; the signing secret is derived from the server's key and `secret_version`, never stored. */
export const webhookSettings = sqliteTable("webhook_settings", {
  user_id: text("user_id").primaryKey(),
  default_url: text("default_url"),
  progress_every: integer("progress_every"),
  secret_version: integer("secret_version").notNull().default(1),
  updated_at: text("updated_at").notNull(),
});

/** One event to deliver to one URL (its id is the `webhook-id`: a receiver dedupes by it). */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    job_id: text("job_id").notNull(),
    user_id: text("user_id").notNull(),
    event_type: text("event_type").notNull(),
    url: text("url").notNull(),
    payload: text("payload").notNull(),
    /** pending | delivered | failed */
    state: text("state").notNull(),
    attempts: integer("attempts").notNull().default(0),
    created_at: text("created_at").notNull(),
    delivered_at: text("delivered_at"),
  },
  (t) => [index("webhook_deliveries_job").on(t.job_id)],
);

/** Each try of a delivery: what the receiver answered, how fast, or what went wrong. */
export const webhookAttempts = sqliteTable(
  "webhook_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    delivery_id: text("delivery_id").notNull(),
    attempt: integer("attempt").notNull(),
    at: text("at").notNull(),
    status: integer("status"),
    latency_ms: integer("latency_ms").notNull(),
    error: text("error"),
  },
  (t) => [index("webhook_attempts_delivery").on(t.delivery_id)],
);

/**
 * A reader's word list. Its entries are one JSON array in `entries` (`[[word, lemma, known], …]`,
 * as written, in file order): at most 20,000 entries (~1 MB, within D1's 2 MB row), read and
 * written whole, never one row each. The built-in default list (id `default`) is not a row.
 */
export const wordlists = sqliteTable(
  "wordlists",
  {
    id: text("id").primaryKey(),
    owner_id: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    entries: text("entries").notNull(),
    entry_count: integer("entry_count").notNull(),
    unknown_count: integer("unknown_count").notNull(),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [index("wordlists_owner").on(t.owner_id, t.created_at)],
);
export type WordlistRow = typeof wordlists.$inferSelect;

/**
 * A learning set: a run over some of a reader's finished jobs with a word list. Its selected
 * sentences (and, for swaps, the eligible pool) live in R2 under `learning-sets/<id>/`; the
 * books' text is copied there, so the run stays readable when a job is deleted later.
 */
export const learningSets = sqliteTable(
  "learning_sets",
  {
    id: text("id").primaryKey(),
    owner_id: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    status: text("status", { enum: ["running", "completed", "failed"] }).notNull(),
    mode: text("mode", { enum: ["coverage", "filter"] }).notNull(),
    /** JSON array of job ids, in the order asked; a job deleted since is taken out (see deleted_jobs). */
    job_ids: text("job_ids").notNull(),
    /** How many of the run's jobs were deleted after it was made: their ids are gone, their sentences stay. */
    deleted_jobs: integer("deleted_jobs").notNull().default(0),
    wordlist_id: text("wordlist_id").notNull(),
    wordlist_name: text("wordlist_name").notNull(),
    /** JSON of the run's options (min_words, max_words, require_verb, min_known_ratio). */
    options: text("options").notNull(),
    progress_percent: integer("progress_percent").notNull().default(0),
    list_words: integer("list_words"),
    found_words: integer("found_words"),
    covered_words: integer("covered_words"),
    eligible_sentences: integer("eligible_sentences"),
    sentence_count: integer("sentence_count"),
    /** JSON array of list lemmas no returned sentence holds. */
    uncovered: text("uncovered"),
    /** Coverage: whether the selection is proven the fewest possible, and the proven lower bound. */
    optimal: integer("optimal", { mode: "boolean" }),
    lower_bound: integer("lower_bound"),
    error_code: text("error_code"),
    error_message: text("error_message"),
    attempts: integer("attempts").notNull().default(0),
    created_at: text("created_at").notNull(),
    completed_at: text("completed_at"),
  },
  (t) => [index("learning_sets_owner").on(t.owner_id, t.created_at)],
);
export type LearningSetRow = typeof learningSets.$inferSelect;

/**
 * A reader's Google Sheets authorization (scope drive.file, asked at their first export).
 * The refresh token is AES-GCM ciphertext under TOKEN_ENCRYPTION_KEY (bound to the user's id),
 * never plaintext and never sent to the browser; the short-lived access token is cached the
 * same way with its expiry.
 */
export const googleSheetsTokens = sqliteTable("google_sheets_tokens", {
  user_id: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  refresh_token: text("refresh_token").notNull(),
  access_token: text("access_token"),
  access_expires_at: text("access_expires_at"),
  /** Space-separated scopes the provider granted. */
  scopes: text("scopes").notNull(),
  created_at: createdAt(),
  updated_at: text("updated_at").notNull(),
});
export type GoogleSheetsTokenRow = typeof googleSheetsTokens.$inferSelect;

/** A Google Sheets authorization under way: state (hashed), PKCE verifier, nonce, for whom, where back to. */
export const integrationFlows = sqliteTable("integration_flows", {
  state_hash: text("state_hash").primaryKey(),
  user_id: text("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  code_verifier: text("code_verifier").notNull(),
  nonce: text("nonce").notNull(),
  return_to: text("return_to").notNull(),
  expires_at: text("expires_at").notNull(),
});

/**
 * A reader's saved defaults ("My defaults", /api/v1/settings): one JSON object of what they
 * saved (`settings`, `wordlist_id`, `export_columns`, each optional), merged over the built-in
 * defaults when read. New uploads and learning runs start from it.
 */
export const userDefaults = sqliteTable("user_defaults", {
  user_id: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  defaults: text("defaults").notNull(),
  updated_at: text("updated_at").notNull(),
});

/**
 * The credit ledgers of deleted accounts, kept for the operator's accounting: each entry's kind,
 * amount, the balances after it and its date (millicredits), under the account's hashed reference
 * (the audit log's `deleted:…`); no job id, note, email or book. Written once, as the account's
 * row is deleted (worker/account/delete.ts).
 */
export const closedLedgers = sqliteTable(
  "closed_ledgers",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    account: text("account").notNull(),
    kind: text("kind").notNull(),
    amount: integer("amount").notNull(),
    balance_after: integer("balance_after").notNull(),
    reserved_after: integer("reserved_after").notNull(),
    at: text("at").notNull(),
  },
  (t) => [index("closed_ledgers_account").on(t.account), index("closed_ledgers_at").on(t.at)],
);
