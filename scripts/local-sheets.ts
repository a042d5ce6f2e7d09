/**
 * A local Google Sheets API v4 stand-in, so "Export to Google Sheets" takes the same code path
 * offline (`npm start` with no Google client) and in the workers tests. It speaks the subset of
 * Google's wire format the app uses:
 *
 * - `POST /v4/spreadsheets` → the Spreadsheet (spreadsheetId, spreadsheetUrl, properties.title,
 *   sheets[].properties{sheetId, title, index, sheetType, gridProperties});
 * - `GET /v4/spreadsheets/{id}` → the same;
 * - `POST /v4/spreadsheets/{id}:batchUpdate` → `{spreadsheetId, replies}` for addSheet,
 *   repeatCell (textFormat.bold) and updateSheetProperties (gridProperties.frozenRowCount);
 * - `POST /v4/spreadsheets/{id}/values/{range}:append?valueInputOption=RAW|USER_ENTERED`
 *   → `{spreadsheetId, tableRange, updates{updatedRange, updatedRows, updatedColumns, updatedCells}}`;
 * - `GET /v4/spreadsheets/{id}/values/{range}?majorDimension=ROWS|COLUMNS&valueRenderOption=…`
 *   → a ValueRange `{range, majorDimension, values}`: trailing empty rows and columns left out,
 *   `values` absent when the range is empty (formulas are not computed: a formula cell reads as
 *   its text).
 *
 * Errors are Google's `{error: {code, message, status}}`. Every request's bearer token is checked
 * with the OpenID provider's tokeninfo (Google's `https://oauth2.googleapis.com/tokeninfo`; here
 * scripts/local-oidc.ts): unknown or expired → 401 UNAUTHENTICATED, a token without a Sheets
 * scope → 403 PERMISSION_DENIED. With drive.file a token reaches only the spreadsheets its user
 * created through this client, as at Google.
 *
 * Controls (tests): `GET /__sheets/{id}` reads a spreadsheet back (values and bold cells, frozen
 * rows); `POST /__faults {"fail": N, "status": 429}` fails the next N API requests; `GET
 * /__requests` counts the API requests by kind (`POST append`, `POST batchUpdate`, `GET values`…).
 */
import { randomBytes } from "node:crypto";
import { serve } from "@hono/node-server";
import { Hono, type Context } from "hono";

export interface TokenInfo {
  email: string;
  clientId: string;
  scope: string;
}

export interface LocalSheetsOptions {
  /** Where it is reached, e.g. http://127.0.0.1:8789 (for spreadsheetUrl; no trailing slash). */
  base: string;
  /** Who an access token belongs to, or null when it is unknown or expired. */
  verifyToken: (token: string) => Promise<TokenInfo | null>;
  controls?: boolean;
}

const SHEETS_SCOPES = [
  "https://www.googleapis.com/auth/drive.file",
  "https://www.googleapis.com/auth/spreadsheets",
  "https://www.googleapis.com/auth/drive",
];

type Cell = string | number | boolean | { formula: string };
interface Sheet {
  sheetId: number;
  title: string;
  frozenRowCount: number;
  values: Cell[][];
  /** repeatCell ranges with textFormat.bold. */
  bold: Array<{ startRow: number; endRow: number; startCol: number; endCol: number; bold: boolean }>;
}
interface Spreadsheet {
  id: string;
  title: string;
  owner: string;
  clientId: string;
  sheets: Sheet[];
}

/** Google's tokeninfo endpoint of a provider, through `fetcher` (real fetch, or an in-process app). */
export function tokeninfoVerifier(provider: string, fetcher: (url: string) => Promise<Response> = (u) => fetch(u)) {
  return async (token: string): Promise<TokenInfo | null> => {
    const r = await fetcher(`${provider}/tokeninfo?access_token=${encodeURIComponent(token)}`);
    if (!r.ok) return null;
    const j = (await r.json()) as { email: string; aud: string; scope: string };
    return { email: j.email, clientId: j.aud, scope: j.scope };
  };
}

const STATUS: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
};

// No parameter properties: Node runs this file by stripping types only.
class GoogleError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

/** A1 column letters of a 0-based column. */
export function columnLetters(col: number): string {
  let s = "";
  for (let n = col + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/** The sheet title of an A1 range: `'My tab'!A1`, `Sheet1!A:Z` or `Sheet1`. */
function rangeSheet(range: string): string {
  const bang = range.lastIndexOf("!");
  const name = bang >= 0 ? range.slice(0, bang) : range;
  return name.startsWith("'") && name.endsWith("'") ? name.slice(1, -1).replace(/''/g, "'") : name;
}

const quoteTitle = (t: string) => `'${t.replace(/'/g, "''")}'`;

/** 0-based column of A1 letters (A → 0, AA → 26). */
const letterColumn = (letters: string) => [...letters.toUpperCase()].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) - 1;

/**
 * The cells an A1 range covers, 0-based and end-exclusive (Infinity when open): `Tab`, `Tab!A1`,
 * `Tab!A1:C4`, `Tab!1:1`, `Tab!A:C`; null when the part after `!` is not A1.
 */
export function rangeBounds(range: string): { startRow: number; endRow: number; startCol: number; endCol: number } | null {
  const bang = range.lastIndexOf("!");
  if (bang < 0) return { startRow: 0, endRow: Infinity, startCol: 0, endCol: Infinity };
  const m = range.slice(bang + 1).match(/^([A-Za-z]*)(\d*)(?::([A-Za-z]*)(\d*))?$/);
  if (!m || (!m[1] && !m[2])) return null;
  const [, c1, r1, c2, r2] = m;
  const second = m[3] !== undefined || m[4] !== undefined;
  return {
    startRow: r1 ? Number(r1) - 1 : 0,
    endRow: second ? (r2 ? Number(r2) : Infinity) : r1 ? Number(r1) : Infinity,
    startCol: c1 ? letterColumn(c1) : 0,
    endCol: second ? (c2 ? letterColumn(c2) + 1 : Infinity) : c1 ? letterColumn(c1) + 1 : Infinity,
  };
}

export function createLocalSheets(opts: LocalSheetsOptions) {
  const spreadsheets = new Map<string, Spreadsheet>();
  const requests: Record<string, number> = {};
  let faults = { fail: 0, status: 429 };

  const sheetJson = (s: Sheet, index: number) => ({
    properties: {
      sheetId: s.sheetId,
      title: s.title,
      index,
      sheetType: "GRID",
      gridProperties: {
        rowCount: Math.max(1000, s.values.length),
        columnCount: 26,
        ...(s.frozenRowCount ? { frozenRowCount: s.frozenRowCount } : {}),
      },
    },
  });
  const spreadsheetJson = (ss: Spreadsheet) => ({
    spreadsheetId: ss.id,
    properties: { title: ss.title, locale: "fr_FR", timeZone: "Europe/Paris" },
    sheets: ss.sheets.map(sheetJson),
    spreadsheetUrl: `${opts.base}/spreadsheets/d/${ss.id}/edit`,
  });
  const newSheet = (title: string, sheetId: number, frozen = 0): Sheet => ({
    sheetId,
    title,
    frozenRowCount: frozen,
    values: [],
    bold: [],
  });

  const app = new Hono<{ Variables: { who: TokenInfo } }>();

  app.onError((err, c) => {
    const code = err instanceof GoogleError ? err.code : 500;
    return c.json(
      {
        error: {
          code,
          message: err instanceof GoogleError ? err.message : "Internal error encountered.",
          status: STATUS[code] ?? "UNKNOWN",
        },
      },
      code as 400,
    );
  });

  app.use("/v4/*", async (c, next) => {
    const path = decodeURIComponent(c.req.path);
    const kind = `${c.req.method} ${path.includes(":batchUpdate") ? "batchUpdate" : path.includes(":append") ? "append" : path.includes("/values/") ? "values" : "spreadsheets"}`;
    requests[kind] = (requests[kind] ?? 0) + 1;
    const token = c.req.header("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1];
    const who = token ? await opts.verifyToken(token) : null;
    if (!who) {
      throw new GoogleError(
        401,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
      );
    }
    if (!who.scope.split(" ").some((s) => SHEETS_SCOPES.includes(s))) {
      throw new GoogleError(403, "Request had insufficient authentication scopes.");
    }
    if (faults.fail > 0) {
      faults.fail--;
      throw new GoogleError(
        faults.status,
        faults.status === 429
          ? "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user'."
          : "The service is currently unavailable.",
      );
    }
    c.set("who", who);
    await next();
  });

  function own(c: Context<{ Variables: { who: TokenInfo } }>, id: string): Spreadsheet {
    const ss = spreadsheets.get(id);
    if (!ss) throw new GoogleError(404, "Requested entity was not found.");
    const who = c.get("who");
    const fullAccess = who.scope.split(" ").some((s) => s.endsWith("/auth/spreadsheets") || s.endsWith("/auth/drive"));
    // drive.file: only the files this user made (or opened) with this app.
    if (ss.owner !== who.email || (!fullAccess && ss.clientId !== who.clientId)) {
      throw new GoogleError(403, "The caller does not have permission");
    }
    return ss;
  }

  app.post("/v4/spreadsheets", async (c) => {
    const body = (await c.req.json().catch(() => null)) as {
      properties?: { title?: string };
      sheets?: Array<{ properties?: { title?: string; gridProperties?: { frozenRowCount?: number } } }>;
    } | null;
    if (!body) throw new GoogleError(400, "Invalid JSON payload received.");
    const who = c.get("who");
    const id = randomBytes(22).toString("base64url");
    const sheets = (body.sheets?.length ? body.sheets : [{}]).map((s, i) =>
      newSheet(
        s.properties?.title || (i === 0 ? "Sheet1" : `Sheet${i + 1}`),
        i === 0 ? 0 : Math.floor(Math.random() * 2e9),
        s.properties?.gridProperties?.frozenRowCount ?? 0,
      ),
    );
    const ss: Spreadsheet = {
      id,
      title: body.properties?.title || "Untitled spreadsheet",
      owner: who.email,
      clientId: who.clientId,
      sheets,
    };
    spreadsheets.set(id, ss);
    return c.json(spreadsheetJson(ss), 200);
  });

  app.get("/v4/spreadsheets/:id", (c) => c.json(spreadsheetJson(own(c, c.req.param("id"))), 200));

  app.get("/v4/spreadsheets/:id/values/:range", (c) => {
    const ss = own(c, c.req.param("id"));
    const range = c.req.param("range");
    const sheet = ss.sheets.find((s) => s.title === rangeSheet(range));
    const bounds = rangeBounds(range);
    if (!sheet || !bounds) throw new GoogleError(400, `Unable to parse range: ${range}`);
    const major = c.req.query("majorDimension") ?? "ROWS";
    const render = c.req.query("valueRenderOption") ?? "FORMATTED_VALUE";
    if (major !== "ROWS" && major !== "COLUMNS")
      throw new GoogleError(400, `Invalid value at 'major_dimension' (type.googleapis.com/google.apps.sheets.v4.Dimension), "${major}"`);
    if (!["FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"].includes(render)) {
      throw new GoogleError(
        400,
        `Invalid value at 'value_render_option' (type.googleapis.com/google.apps.sheets.v4.ValueRenderOption), "${render}"`,
      );
    }
    const shown = (v: Cell) =>
      typeof v === "object"
        ? v.formula
        : render === "FORMATTED_VALUE" && typeof v !== "string"
          ? typeof v === "boolean"
            ? String(v).toUpperCase()
            : String(v)
          : v;
    // Google leaves out trailing empty cells, rows and columns.
    const trim = <T>(xs: T[], empty: (x: T) => boolean) => {
      let n = xs.length;
      while (n > 0 && empty(xs[n - 1]!)) n--;
      return xs.slice(0, n);
    };
    let values = trim(
      sheet.values
        .slice(bounds.startRow, bounds.endRow)
        .map((row) => trim(row.slice(bounds.startCol, bounds.endCol).map(shown), (v) => v === "")),
      (row) => row.length === 0,
    );
    if (major === "COLUMNS") {
      const width = Math.max(0, ...values.map((r) => r.length));
      values = trim(
        Array.from({ length: width }, (_, col) =>
          trim(
            values.map((row) => row[col] ?? ""),
            (v) => v === "",
          ),
        ),
        (col) => col.length === 0,
      );
    }
    const { rowCount, columnCount } = sheetJson(sheet, 0).properties.gridProperties;
    const endRow = Math.min(bounds.endRow, rowCount);
    const endCol = Math.min(bounds.endCol, columnCount);
    return c.json(
      {
        range: `${quoteTitle(sheet.title)}!${columnLetters(bounds.startCol)}${bounds.startRow + 1}:${columnLetters(endCol - 1)}${endRow}`,
        majorDimension: major,
        ...(values.length ? { values } : {}),
      },
      200,
    );
  });

  // Hono cannot route on a colon inside a segment: ":batchUpdate" and ":append" are read here.
  app.post("/v4/spreadsheets/*", async (c) => {
    const rest = decodeURIComponent(c.req.path.slice("/v4/spreadsheets/".length));
    const batch = rest.match(/^([^/]+):batchUpdate$/);
    if (batch) return batchUpdate(c, own(c, batch[1]!));
    const append = rest.match(/^([^/]+)\/values\/(.+):append$/);
    if (append) return appendValues(c, own(c, append[1]!), append[2]!);
    throw new GoogleError(404, "Requested entity was not found.");
  });

  async function batchUpdate(c: Context<{ Variables: { who: TokenInfo } }>, ss: Spreadsheet) {
    const body = (await c.req.json().catch(() => null)) as { requests?: Array<Record<string, any>> } | null;
    if (!body?.requests?.length) throw new GoogleError(400, "Invalid requests: at least one request is required.");
    // All or nothing, as at Google: applied to a copy, kept only when every request applies.
    const sheets = structuredClone(ss.sheets);
    const sheetById = (id: unknown) => {
      const s = sheets.find((x) => x.sheetId === (id ?? 0));
      if (!s) throw new GoogleError(400, `Invalid requests: No grid with id: ${String(id)}`);
      return s;
    };
    const replies: object[] = [];
    for (const [i, r] of body.requests.entries()) {
      if (r.addSheet) {
        const title: string = r.addSheet.properties?.title ?? `Sheet${sheets.length + 1}`;
        if (sheets.some((s) => s.title.toLowerCase() === title.toLowerCase())) {
          throw new GoogleError(
            400,
            `Invalid requests[${i}].addSheet: A sheet with the name "${title}" already exists. Please enter another name.`,
          );
        }
        const s = newSheet(
          title,
          r.addSheet.properties?.sheetId ?? Math.floor(Math.random() * 2e9),
          r.addSheet.properties?.gridProperties?.frozenRowCount ?? 0,
        );
        sheets.push(s);
        replies.push({ addSheet: sheetJson(s, sheets.length - 1) });
      } else if (r.repeatCell) {
        const { range, cell, fields } = r.repeatCell;
        const s = sheetById(range?.sheetId);
        if (!String(fields ?? "").includes("textFormat.bold") && fields !== "*" && !String(fields).includes("userEnteredFormat")) {
          throw new GoogleError(400, `Invalid requests[${i}].repeatCell: fields must name what to update.`);
        }
        s.bold.push({
          startRow: range?.startRowIndex ?? 0,
          endRow: range?.endRowIndex ?? Infinity,
          startCol: range?.startColumnIndex ?? 0,
          endCol: range?.endColumnIndex ?? Infinity,
          bold: cell?.userEnteredFormat?.textFormat?.bold === true,
        });
        replies.push({});
      } else if (r.updateSheetProperties) {
        const { properties, fields } = r.updateSheetProperties;
        if (!fields) throw new GoogleError(400, `Invalid requests[${i}].updateSheetProperties: You must specify which fields to update.`);
        const s = sheets.find((x) => x.sheetId === (properties?.sheetId ?? 0));
        if (!s) throw new GoogleError(400, `Invalid requests[${i}].updateSheetProperties: No grid with id: ${properties?.sheetId}`);
        if (String(fields).includes("gridProperties.frozenRowCount")) s.frozenRowCount = properties?.gridProperties?.frozenRowCount ?? 0;
        if (String(fields).split(",").includes("title") && properties?.title) s.title = properties.title;
        replies.push({});
      } else {
        throw new GoogleError(400, `Invalid requests[${i}]: this stand-in knows addSheet, repeatCell and updateSheetProperties.`);
      }
    }
    ss.sheets = sheets;
    return c.json({ spreadsheetId: ss.id, replies }, 200);
  }

  async function appendValues(c: Context<{ Variables: { who: TokenInfo } }>, ss: Spreadsheet, range: string) {
    const input = c.req.query("valueInputOption");
    if (input !== "RAW" && input !== "USER_ENTERED") {
      throw new GoogleError(400, "'valueInputOption' is required but not specified");
    }
    const title = rangeSheet(range);
    const sheet = ss.sheets.find((s) => s.title === title);
    if (!sheet) throw new GoogleError(400, `Unable to parse range: ${range}`);
    const body = (await c.req.json().catch(() => null)) as { values?: unknown[][]; majorDimension?: string } | null;
    if (!body || !Array.isArray(body.values)) throw new GoogleError(400, "Invalid JSON payload received. Expected values.");
    const rows: Cell[][] = body.values.map((row) =>
      row.map((v) => {
        if (typeof v === "string" && input === "USER_ENTERED" && v.startsWith("=")) return { formula: v };
        if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
        return v === null ? "" : String(v);
      }),
    );
    const start = sheet.values.length;
    sheet.values.push(...rows);
    const cols = Math.max(1, ...rows.map((r) => r.length));
    const updatedRange = `${quoteTitle(sheet.title)}!A${start + 1}:${columnLetters(cols - 1)}${start + rows.length}`;
    return c.json(
      {
        spreadsheetId: ss.id,
        ...(start > 0 ? { tableRange: `${quoteTitle(sheet.title)}!A1:${columnLetters(cols - 1)}${start}` } : {}),
        updates: {
          spreadsheetId: ss.id,
          updatedRange,
          updatedRows: rows.length,
          updatedColumns: cols,
          updatedCells: rows.reduce((n, r) => n + r.length, 0),
        },
      },
      200,
    );
  }

  if (opts.controls) {
    app.get("/__sheets/:id", (c) => {
      const ss = spreadsheets.get(c.req.param("id"));
      if (!ss) return c.json({ error: "no such spreadsheet" }, 404);
      return c.json({
        spreadsheetId: ss.id,
        title: ss.title,
        owner: ss.owner,
        sheets: ss.sheets.map((s) => ({
          sheetId: s.sheetId,
          title: s.title,
          frozenRowCount: s.frozenRowCount,
          values: s.values,
          bold: s.values.map((row, r) =>
            row.map((_, col) =>
              s.bold.reduce((b, f) => (r >= f.startRow && r < f.endRow && col >= f.startCol && col < f.endCol ? f.bold : b), false),
            ),
          ),
        })),
      });
    });
    app.post("/__faults", async (c) => {
      const body = (await c.req.json().catch(() => ({}))) as { fail?: number; status?: number };
      faults = { fail: body.fail ?? 0, status: body.status ?? 429 };
      return c.json(faults);
    });
    app.get("/__requests", (c) => c.json(requests));
  }

  return { app };
}

/** Serves the stand-in on 127.0.0.1:port; resolves once it listens. */
export async function serveLocalSheets(opts: LocalSheetsOptions & { port: number }) {
  const { app } = createLocalSheets(opts);
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: opts.port, hostname: "127.0.0.1" }, () => resolve(s));
    s.once("error", reject);
  });
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const port = Number(arg("port") ?? 8789);
  const provider = arg("provider") ?? "http://127.0.0.1:8788";
  await serveLocalSheets({
    base: `http://127.0.0.1:${port}`,
    port,
    verifyToken: tokeninfoVerifier(provider),
    controls: process.argv.includes("--controls"),
  });
  console.log(`local Google Sheets API stand-in on http://127.0.0.1:${port} (tokens checked at ${provider}/tokeninfo)`);
}
