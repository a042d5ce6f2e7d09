import { Hono } from "hono";
import { resolver } from "hono-openapi";
import {
  EventsQuerySchema,
  isFinal,
  JobResultSchema,
  RESULT_EXPORT_COLUMNS,
  ResultQuerySchema,
  ResultSentenceSchema,
  SentenceEditSchema,
} from "../../schema/api";
import { JobSettingsSchema } from "../../schema/settings";
import { exportColumns } from "../defaults/service";
import { splitColumns } from "../../schema/sheets";
import { editSentence, jobResult, ownJob, tracker } from "../jobs/service";
import { credentialTag, recordSocket } from "../auth/sockets";
import { SOCKET_EXPIRES_HEADER, SOCKET_ID_HEADER } from "../jobs/tracker";
import { endedSocket, JOB_ENDED_HEADER } from "../jobs/release";
import { ApiError } from "../core/errors";
import { bookName } from "../pipeline/anki";
import { APKG_TOO_LARGE, APKG_TYPE, attachment, renderResult, XLSX_TYPE } from "./export";
import { checkApkgSize, loadSqlJs } from "./sqljs";
import type { AppEnv } from "../core/types";
import { describe, header, json, pathParam } from "./openapi";
import { jsonBody, queryParams } from "./validate";

/**
 * What a job gives back: its result (JSON and the export formats), a sentence corrected, its live
 * progress over a WebSocket. Mounted by ./jobs.ts under /api/v1/jobs, after its requireAuth.
 */

export const jobId = pathParam("id", "The job's id.");
export const NOT_FOUND = "`not_found`: no such job of mine.";

export const jobOutputRoutes = new Hono<AppEnv>()
  .get(
    "/:id/result",
    describe({
      operationId: "getJobResult",
      summary: "The sentences",
      description:
        "While the job runs: the finished chunks in order (`complete: false`). `format=txt` is one sentence per line; csv and tsv have the columns " +
        "`index, sentence, page, chunk, original` (`original` empty unless the sentence was rewritten; new columns only ever go last) and a BOM. " +
        "`anki`: a text file for Anki's importer (File → Import; headers for the note type `French Novel Tool`, the deck named after the book, " +
        "tags `fnt` and the book) with the columns `Sentence, Original, Page, Deck, GUID, Tags`; `apkg`: an Anki package of the same notes " +
        "(the note type included); the GUID comes from the job and the sentence's index, so it stays through edits and re-importing updates the notes. " +
        "`xlsx`: an Excel workbook of the csv's columns, a bold frozen header, every cell text (never a formula).",
      tag: "Jobs",
      access: "user",
      parameters: [jobId],
      responses: {
        200: {
          description: "The result: JSON, or a file download for the other formats (`Content-Disposition: attachment`).",
          headers: { "Content-Disposition": header("For the files: the book's name with the format's extension (`.anki.txt` for anki).") },
          content: {
            "application/json": { schema: resolver(JobResultSchema, { options: { io: "output" } }) },
            "text/plain": { schema: { type: "string" } },
            "text/csv": { schema: { type: "string" } },
            "text/tab-separated-values": { schema: { type: "string" } },
            [APKG_TYPE]: { schema: { type: "string", format: "binary", contentMediaType: APKG_TYPE } },
            [XLSX_TYPE]: { schema: { type: "string", format: "binary", contentMediaType: XLSX_TYPE } },
          },
        },
      },
      errors: {
        400: "`invalid_field`: `format`, or a `columns` name that is not one of the export's.",
        404: NOT_FOUND,
        413: APKG_TOO_LARGE,
      },
    }),
    queryParams(ResultQuerySchema),
    async (c) => {
      const { format, columns: asked } = c.req.valid("query");
      const row = await ownJob(c.env, c.get("userId"), c.req.param("id"));
      // My saved export columns apply to the table formats; `columns` sent overrides them.
      const columns = await exportColumns(c.env, c.get("userId"), RESULT_EXPORT_COLUMNS, splitColumns(asked));
      const result = await jobResult(c.env, row);
      if (format === "json") return c.json(result, 200);
      if (format === "apkg") checkApkgSize(result.sentences.length);
      const settings = JobSettingsSchema.parse(JSON.parse(row.settings));
      const { body, contentType, extension } = await renderResult(result, format, row, {
        paragraphBreaks: settings.preserve_formatting,
        sql: loadSqlJs,
        columns,
      });
      c.header("Content-Type", contentType);
      c.header("Content-Disposition", attachment(bookName(row.original_filename), extension));
      return c.body(body, 200);
    },
  )
  .patch(
    "/:id/sentences/:index",
    describe({
      operationId: "editSentence",
      summary: "Correct one sentence",
      description: "Of a finished job; results and exports carry the edit (`edited: true`), `original` stays.",
      tag: "Jobs",
      access: "user",
      parameters: [jobId, { ...pathParam("index", "The sentence's `index` in the result."), schema: { type: "integer", minimum: 0 } }],
      responses: { 200: json(ResultSentenceSchema, "The sentence now.") },
      errors: {
        400: "`invalid_field` (`text`): empty, or longer than three times the engine's sentence (200 characters at least).",
        404: "`not_found`: no such job of mine, or no such sentence.",
        409: "`job_not_finished`: sentences can be edited once the job has finished.",
      },
    }),
    async (c, next) => {
      // The job and the index are checked before the body is read.
      c.set("job", await ownJob(c.env, c.get("userId"), c.req.param("id")));
      const index = Number(c.req.param("index"));
      if (!Number.isInteger(index) || index < 0) throw new ApiError(404, "not_found", "No such sentence.");
      await next();
    },
    jsonBody(SentenceEditSchema, '{"text": "…"}'),
    async (c) => {
      const { text } = c.req.valid("json");
      return c.json(await editSentence(c.env, c.get("job")!, Number(c.req.param("index")), text), 200);
    },
  )
  .get(
    "/:id/events",
    describe({
      operationId: "streamJobEvents",
      summary: "Live progress (WebSocket)",
      description:
        "Connect with `Upgrade: websocket`. Every progress event is a message (`ProgressEvent`, with its `seq`); `after` replays what was missed. " +
        "The browser's cookie authenticates it (same Origin only); programs send `Authorization: Bearer <key>`, or `access_token` in the query " +
        "where their client cannot set headers. When the credential ends (sign-out, revoked key, expiry) the socket gets a `CredentialEnded` " +
        "message and is closed with code 4001.",
      tag: "Jobs",
      access: "user",
      parameters: [
        jobId,
        {
          name: "access_token",
          in: "query",
          required: false,
          description: "An API key or session token, for WebSocket clients that cannot set headers.",
          schema: { type: "string" },
        },
      ],
      responses: {
        101: {
          description:
            "Switching Protocols: the WebSocket. Messages are `ProgressEvent` JSON objects, then possibly one `CredentialEnded`.",
        },
      },
      errors: {
        403: "`forbidden_origin`: a session's WebSocket opened from another site.",
        404: NOT_FOUND,
        426: "`upgrade_required`: this endpoint speaks WebSocket; connect with `Upgrade: websocket`.",
      },
    }),
    queryParams(EventsQuerySchema),
    async (c) => {
      const row = await ownJob(c.env, c.get("userId"), c.req.param("id"));
      if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
        throw new ApiError(426, "upgrade_required", "This endpoint speaks WebSocket: connect with Upgrade: websocket.");
      }
      const caller = c.get("caller");
      const socketId = crypto.randomUUID();
      // The tracker tags the socket with its id and the credential's expiry; the D1 record lets
      // sign-out or revocation find and close it.
      const headers = new Headers(c.req.raw.headers);
      for (const h of ["Authorization", "Cookie", SOCKET_EXPIRES_HEADER]) headers.delete(h);
      headers.set(SOCKET_ID_HEADER, socketId);
      if (caller.expiresAt) headers.set(SOCKET_EXPIRES_HEADER, caller.expiresAt);
      if (isFinal(row.status)) headers.set(JOB_ENDED_HEADER, "1");
      const upstream = new URL(c.req.url);
      const res = await tracker(c.env, row.id).fetch(new Request(upstream, { headers }));
      // The job ended and its tracker let go of its event log: its final state from D1, then closed.
      if (res.status === 410) return endedSocket(row, c.req.valid("query").after);
      if (res.status === 101) await recordSocket(c.env, socketId, row.id, credentialTag(caller.auth, caller.credentialId));
      return res;
    },
  );
