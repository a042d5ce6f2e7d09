import { Hono, type Context } from "hono";
import { SheetsConnectionSchema, SheetsExportResultSchema, SheetsExportSchema } from "../../schema/sheets";
import { requireAuth } from "../auth/caller";
import { SignInError } from "../auth/oidc";
import { encryptionSecret } from "../sheets/crypto";
import { exportToSheets } from "../sheets/export";
import { connection, disconnect, finishConnect, startConnect } from "../sheets/oauth";
import { describe, header, json, noContent } from "./openapi";
import { plainErrorPage } from "./plain-page";
import type { AppEnv } from "../core/types";
import { jsonBody } from "./validate";

const errorPage = (c: Context<AppEnv>, message: string) => plainErrorPage(c, "Google Sheets", "Google Sheets was not connected", message);

const UNAVAILABLE = "`sheets_unavailable`: Google Sheets export is not configured here (no TOKEN_ENCRYPTION_KEY).";

/** /api/v1/integrations/google-sheets: the reader's authorization for Google Sheets. */
export const integrationRoutes = new Hono<AppEnv>()
  .use(requireAuth)
  .get(
    "/google-sheets",
    describe({
      operationId: "getGoogleSheetsConnection",
      summary: "Is Google Sheets connected",
      description:
        "Whether this reader allowed the app to make spreadsheets in their Google Drive, and the scopes granted. Tokens are never shown.",
      tag: "Google Sheets",
      access: "user",
      responses: { 200: json(SheetsConnectionSchema, "The connection.") },
    }),
    async (c) => c.json(await connection(c.env, c.get("userId")), 200),
  )
  .get(
    "/google-sheets/connect",
    describe({
      operationId: "connectGoogleSheets",
      summary: "Connect Google Sheets",
      description:
        "Incremental authorization on top of sign-in: redirects the browser to Google's consent for `https://www.googleapis.com/auth/drive.file` " +
        "only (files this app makes or the reader opens with it), offline (a refresh token), with state, nonce and PKCE.",
      tag: "Google Sheets",
      access: "user",
      parameters: [
        {
          name: "return_to",
          in: "query",
          required: false,
          description: "A path of this app to come back to (anything else is ignored).",
          schema: { type: "string" },
        },
      ],
      responses: {
        302: { description: "To the provider's consent page.", headers: { Location: header("The provider's authorization URL.") } },
      },
      errors: { 503: `${UNAVAILABLE} Or \`signin_unavailable\`: the provider is not configured or cannot be reached.` },
    }),
    (c) => startConnect(c),
  )
  .get(
    "/google-sheets/callback",
    describe({
      operationId: "finishGoogleSheetsConnection",
      summary: "Google Sheets consent callback",
      description:
        "The provider's answer: the flow must be this reader's, the code is exchanged with PKCE, the id_token checked, drive.file must be granted; " +
        "the refresh token is stored encrypted, and the browser goes back to `return_to`.",
      tag: "Google Sheets",
      access: "user",
      parameters: [
        { name: "code", in: "query", required: false, description: "The authorization code.", schema: { type: "string" } },
        { name: "state", in: "query", required: false, description: "The flow's state.", schema: { type: "string" } },
        { name: "error", in: "query", required: false, description: "The provider's refusal, if any.", schema: { type: "string" } },
      ],
      responses: {
        302: { description: "Connected: back to `return_to`.", headers: { Location: header("Where the connection started.") } },
        400: {
          description: "Anything wrong: a plain page for a person saying what; nothing stored.",
          content: { "text/html": { schema: { type: "string" } } },
        },
      },
      errors: { 503: UNAVAILABLE },
    }),
    async (c) => {
      encryptionSecret(c.env);
      try {
        const { returnTo } = await finishConnect(c);
        return c.redirect(returnTo, 302);
      } catch (err) {
        if (!(err instanceof SignInError)) throw err;
        console.warn(JSON.stringify({ msg: "google sheets connection refused", reason: err.detail }));
        return errorPage(c, err.message);
      }
    },
  )
  .delete(
    "/google-sheets",
    describe({
      operationId: "disconnectGoogleSheets",
      summary: "Disconnect Google Sheets",
      description:
        "Revokes the grant at Google (its revocation endpoint) and deletes the stored tokens. Spreadsheets already made stay in the reader's Drive.",
      tag: "Google Sheets",
      access: "user",
      responses: { 204: noContent("Disconnected (also when it was not connected).") },
    }),
    async (c) => {
      await disconnect(c.env, c.get("userId"));
      return c.body(null, 204);
    },
  );

/** POST /api/v1/exports/sheets */
export const exportRoutes = new Hono<AppEnv>().use(requireAuth).post(
  "/sheets",
  describe({
    operationId: "exportToGoogleSheets",
    summary: "Export to Google Sheets",
    description:
      "A job's sentences or a learning set's selection, to a new spreadsheet titled after the book (or appended to `spreadsheet_id`, in the tab " +
      "`sheet_title`, made when missing). A new tab, or one whose first row is empty, gets a bold, frozen header row. A tab that already has " +
      "a header gets rows only when that header is the one this export would write (its columns and `header_names`); another header is a " +
      "409 `sheets_header_mismatch`, before anything is written. Values are written RAW (no sentence becomes a formula), in " +
      "requests of at most 10,000 rows or ~2 MB, retried with backoff on 429 and 5xx.",
    tag: "Google Sheets",
    access: "user",
    responses: { 201: json(SheetsExportResultSchema, "Written.") },
    errors: {
      404: "`not_found`: no such job or learning set of mine.",
      409:
        "`sheets_not_connected`: connect Google Sheets first (`connect_url`); `sheets_reconnect`: the access was removed at Google, reconnect " +
        "(`connect_url`); `job_not_ready`, `learning_set_not_ready`: not finished yet; `sheets_header_mismatch`: the tab `sheet_title` " +
        "already has another header row (the message names both; `field` is `sheet_title`): export to another tab, or with the columns and " +
        "`header_names` of that header.",
      502: "`sheets_error`: Google Sheets refused or failed (its message is in `message`).",
      503: UNAVAILABLE,
    },
  }),
  jsonBody(SheetsExportSchema, '{"source": {"job_id": "…"}}'),
  async (c) => {
    encryptionSecret(c.env);
    return c.json(await exportToSheets(c.env, c.get("userId"), c.req.valid("json")), 201);
  },
);
