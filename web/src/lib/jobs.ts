import { api, ok } from "./api";
import type { Job, JobPage, JobResult, Sentence } from "./types";
import { saveExport, type ExportFormat } from "./download";

const path = (id: string) => ({ params: { path: { id } } });

export const getJob = (id: string): Promise<Job> => ok(api.GET("/api/v1/jobs/{id}", path(id)));

export function listJobs(limit: number, cursor?: string | null): Promise<JobPage> {
  return ok(api.GET("/api/v1/jobs", { params: { query: { limit, ...(cursor ? { cursor } : {}) } } }));
}

export const cancelJob = (id: string): Promise<Job> => ok(api.POST("/api/v1/jobs/{id}/cancel", path(id)));

export const deleteJob = (id: string) => ok(api.DELETE("/api/v1/jobs/{id}", path(id)));

export async function getResult(id: string): Promise<JobResult & { sentences: Sentence[] }> {
  const r = await ok(api.GET("/api/v1/jobs/{id}/result", { params: { path: { id }, query: { format: "json" } } }));
  if (typeof r === "string") throw new Error("The server answered text where JSON was asked for.");
  return r;
}

export const editSentence = (id: string, index: number, text: string): Promise<Sentence> =>
  ok(api.PATCH("/api/v1/jobs/{id}/sentences/{index}", { params: { path: { id, index } }, body: { text } }));

/** The owner's "retry failed pages", or an operator's through the console. */
export const retryJob = (id: string, admin = false) =>
  ok(admin ? api.POST("/api/v1/admin/jobs/{id}/retry", path(id)) : api.POST("/api/v1/jobs/{id}/retry", path(id)));

export type { ExportFormat };

/** Fetches an export and saves it under the book's name. */
export async function downloadExport(job: Job, format: ExportFormat) {
  const blob = await ok(api.GET("/api/v1/jobs/{id}/result", { params: { path: { id: job.id }, query: { format } }, parseAs: "blob" }));
  saveExport(blob, job.original_filename.replace(/\.pdf$/i, "") || "sentences", format);
}
