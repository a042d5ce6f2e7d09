import { defineConfig } from "drizzle-kit";

// Generates the SQL migrations that wrangler applies (`migrations_dir` in wrangler.toml).
export default defineConfig({
  dialect: "sqlite",
  schema: "./schema/db.ts",
  out: "./schema/migrations",
});
