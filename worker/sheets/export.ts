import { JOB_COLUMNS, LEARNING_COLUMNS, type SheetColumn, type SheetsExport } from "../../schema/sheets";
import { exportColumns } from "../defaults/service";
import { ApiError } from "../core/errors";
import { jobResult, ownJob } from "../jobs/service";
import { ownSet, storedRun } from "../learning/service";
import { SheetsClient } from "./client";

/** Google's limits for one append: we keep under 10,000 rows and ~2 MB of JSON a request. */
export const MAX_ROWS_PER_REQUEST = 10_000;
export const MAX_BYTES_PER_REQUEST = 2_000_000;

type Value = string | number | boolean;
type Row = Partial<Record<SheetColumn, Value>>;

interface Source {
  title: string;
  defaultSheet: string;
  available: readonly SheetColumn[];
  rows: () => Row[];
}

const bookTitle = (filename: string) => filename.replace(/\.(pdf|png|jpe?g)$/i, "") || "Sentences";

async function loadSource(env: Env, userId: string, source: SheetsExport["source"]): Promise<Source> {
  if ("job_id" in source) {
    const job = await ownJob(env, userId, source.job_id);
    const result = await jobResult(env, job);
    if (!result.complete) throw new ApiError(409, "job_not_ready", "The book is still being processed: export it once it is done.");
    return {
      title: bookTitle(job.original_filename),
      defaultSheet: "Sentences",
      available: JOB_COLUMNS,
      rows: () =>
        result.sentences.map((s) => ({
          sentence: s.text,
          original: s.original ?? "",
          page: s.page,
          index: s.index + 1,
          // Tagged by the chunk consumer with the result (and after a reader's edit).
          word_count: s.word_count,
          has_verb: s.has_verb,
        })),
    };
  }
  const set = await ownSet(env, userId, source.learning_set_id);
  const run = await storedRun(env, set);
  const jobIds = JSON.parse(set.job_ids) as string[];
  // The books' own text where the engine rewrote a sentence, and their titles, while the jobs exist.
  const originals = new Map<string, Map<number, string>>();
  const titles: string[] = [];
  for (const id of jobIds) {
    try {
      const job = await ownJob(env, userId, id);
      titles.push(bookTitle(job.original_filename));
      const byIndex = new Map<number, string>();
      for (const s of (await jobResult(env, job)).sentences) if (s.original !== undefined) byIndex.set(s.index, s.original);
      originals.set(id, byIndex);
    } catch {
      // deleted since: the set keeps its own copy of the sentences
    }
  }
  return {
    title: `${titles.join(", ") || "Learning set"} · ${set.wordlist_name}`.slice(0, 200),
    defaultSheet: "Learning set",
    available: LEARNING_COLUMNS,
    rows: () =>
      run.sentences.map((s) => ({
        sentence: s.text,
        original: originals.get(s.job_id)?.get(s.index) ?? "",
        page: s.page,
        index: s.index + 1,
        word_count: s.word_count,
        has_verb: s.has_verb,
        rank: s.rank,
        new_words: s.new_words.join(", "),
        list_words: s.list_words.join(", "),
        known_ratio: Math.round(s.known_ratio * 1000) / 1000,
      })),
  };
}

/** Rows in requests within Google's limits, in order. */
export function batches(rows: Value[][]): Value[][][] {
  const out: Value[][][] = [];
  let cur: Value[][] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = JSON.stringify(row).length + 1;
    if (cur.length && (cur.length >= MAX_ROWS_PER_REQUEST || bytes + size > MAX_BYTES_PER_REQUEST)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(row);
    bytes += size;
  }
  if (cur.length) out.push(cur);
  return out;
}

const a1Sheet = (title: string) => `'${title.replace(/'/g, "''")}'`;

interface SheetProps {
  sheetId: number;
  title: string;
}
interface SpreadsheetJson {
  spreadsheetId: string;
  spreadsheetUrl: string;
  sheets?: Array<{ properties: SheetProps }>;
}

/** Google leaves trailing empty cells out of a row it reads: so are they here, before comparing. */
function trimEnd(row: readonly string[]): string[] {
  let n = row.length;
  while (n > 0 && row[n - 1] === "") n--;
  return row.slice(0, n);
}

/** The tab's first row as the reader sees it (trailing empty cells left out); [] when it is empty. */
async function firstRow(client: SheetsClient, id: string, sheetTitle: string): Promise<string[]> {
  const range = encodeURIComponent(`${a1Sheet(sheetTitle)}!1:1`);
  const r = await client.call<{ values?: Value[][] }>(
    "GET",
    `/v4/spreadsheets/${id}/values/${range}?majorDimension=ROWS&valueRenderOption=FORMATTED_VALUE`,
  );
  return trimEnd((r.values?.[0] ?? []).map(String));
}

const shownHeader = (row: readonly string[]) => row.map((h) => `“${h}”`).join(", ");

export async function exportToSheets(env: Env, userId: string, body: SheetsExport, returnTo?: string) {
  const source = await loadSource(env, userId, body.source);
  // The columns sent, else my saved export columns that this source has, else all of them.
  const columns = (await exportColumns(env, userId, source.available, body.columns)) as SheetColumn[];
  const sheetTitle = body.sheet_title ?? source.defaultSheet;
  const header = columns.map((c) => body.header_names?.[c] ?? c);
  const client = new SheetsClient(env, userId, returnTo);

  let spreadsheet: SpreadsheetJson;
  let sheetId: number;
  // A new tab, or one with an empty first row, gets the header; one with this header, rows only.
  let writeHeader = true;
  if (body.spreadsheet_id) {
    const id = encodeURIComponent(body.spreadsheet_id);
    spreadsheet = await client.call<SpreadsheetJson>(
      "GET",
      `/v4/spreadsheets/${id}?fields=spreadsheetId,spreadsheetUrl,sheets.properties(sheetId,title)`,
    );
    const tab = spreadsheet.sheets?.find((s) => s.properties.title === sheetTitle);
    if (tab) {
      sheetId = tab.properties.sheetId;
      const existing = await firstRow(client, id, sheetTitle);
      if (existing.length) {
        // Rows under another header would land in the wrong columns: refused before writing anything.
        const mine = trimEnd(header);
        if (existing.length !== mine.length || existing.some((h, i) => h !== mine[i])) {
          throw new ApiError(
            409,
            "sheets_header_mismatch",
            `The tab “${sheetTitle}” already has the header ${shownHeader(existing)}, and this export's is ${shownHeader(header)}: ` +
              "nothing was written. Export to another tab (sheet_title), or choose the columns and header_names that make the tab's header.",
            "sheet_title",
          );
        }
        writeHeader = false;
      }
    } else {
      const r = await client.call<{ replies: Array<{ addSheet?: { properties: SheetProps } }> }>(
        "POST",
        `/v4/spreadsheets/${id}:batchUpdate`,
        {
          requests: [{ addSheet: { properties: { title: sheetTitle } } }],
        },
      );
      sheetId = r.replies[0]!.addSheet!.properties.sheetId;
    }
  } else {
    spreadsheet = await client.call<SpreadsheetJson>("POST", "/v4/spreadsheets", {
      properties: { title: source.title },
      sheets: [{ properties: { title: sheetTitle } }],
    });
    sheetId = spreadsheet.sheets![0]!.properties.sheetId;
  }
  const id = encodeURIComponent(spreadsheet.spreadsheetId);
  if (writeHeader) {
    // The header row: bold and frozen.
    await client.call("POST", `/v4/spreadsheets/${id}:batchUpdate`, {
      requests: [
        {
          repeatCell: {
            range: { sheetId, startRowIndex: 0, endRowIndex: 1, startColumnIndex: 0, endColumnIndex: columns.length },
            cell: { userEnteredFormat: { textFormat: { bold: true } } },
            fields: "userEnteredFormat.textFormat.bold",
          },
        },
        {
          updateSheetProperties: {
            properties: { sheetId, gridProperties: { frozenRowCount: 1 } },
            fields: "gridProperties.frozenRowCount",
          },
        },
      ],
    });
  }
  const data = source.rows().map((r) => columns.map((c) => r[c] ?? ""));
  const rows: Value[][] = writeHeader ? [header, ...data] : data;
  // RAW: every value is stored as given, so no sentence ("=1+1", "+33…") becomes a formula.
  const range = encodeURIComponent(`${a1Sheet(sheetTitle)}!A1`);
  for (const values of batches(rows)) {
    await client.call("POST", `/v4/spreadsheets/${id}/values/${range}:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS`, {
      majorDimension: "ROWS",
      values,
    });
  }
  return { spreadsheet_id: spreadsheet.spreadsheetId, url: spreadsheet.spreadsheetUrl, sheet_title: sheetTitle, rows: data.length };
}
