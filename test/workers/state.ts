import { env } from "cloudflare:test";

/**
 * The D1 tables with a text column holding `text` anywhere in it. Every table is read from the
 * schema itself (sqlite_master), so a table added later is covered without changing the test.
 */
export async function tablesHolding(text: string): Promise<string[]> {
  const tables = (
    await env.DB.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%'",
    ).all<{ name: string }>()
  ).results;
  const found: string[] = [];
  for (const { name } of tables) {
    const cols = (await env.DB.prepare(`SELECT name, type FROM pragma_table_info('${name}')`).all<{ name: string; type: string }>())
      .results;
    const textCols = cols.filter((c) => /text/i.test(c.type));
    if (!textCols.length) continue;
    const where = textCols.map((c) => `instr(COALESCE("${c.name}", ''), ?1) > 0`).join(" OR ");
    const n = await env.DB.prepare(`SELECT COUNT(*) AS n FROM "${name}" WHERE ${where}`).bind(text).first<{ n: number }>();
    if (n!.n) found.push(name);
  }
  return found.sort();
}

/** A Durable Object's storage: its keys, alarm and tables (none of the three for an empty one). */
export async function objectStorage(state: DurableObjectState) {
  return {
    keys: [...(await state.storage.list()).keys()],
    alarm: await state.storage.getAlarm(),
    tables: state.storage.sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite_%'",
      )
      .toArray()
      .map((r) => r.name),
  };
}
