import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  created_at: text("created_at").notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
});

export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    owner_id: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    status: text("status", {
      enum: ["queued", "planning", "processing", "completed", "partial", "failed", "cancelled"],
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
    /** When the cron removed the uploaded files of this ended job (results stay). */
    uploads_expired_at: text("uploads_expired_at"),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [index("jobs_owner_created").on(t.owner_id, t.created_at), index("jobs_status").on(t.status)],
);

export type JobRow = typeof jobs.$inferSelect;
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
