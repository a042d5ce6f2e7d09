import { apiFetch, apiJson } from "./api";
import type { Job, JobPage, JobResult, Sentence } from "./types";

const jobPath = (id: string) => `/api/v1/jobs/${encodeURIComponent(id)}`;

export const getJob = (id: string) => apiJson<Job>(jobPath(id));

export function listJobs(limit: number, cursor?: string | null) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (cursor) q.set("cursor", cursor);
  return apiJson<JobPage>(`/api/v1/jobs?${q}`);
}

export const cancelJob = (id: string) => apiJson<Job>(`${jobPath(id)}/cancel`, { method: "POST" });

export const deleteJob = (id: string) => apiJson<void>(jobPath(id), { method: "DELETE" });

export const getResult = (id: string) => apiJson<JobResult & { sentences: Sentence[] }>(`${jobPath(id)}/result`);

export const editSentence = (id: string, index: number, text: string) =>
  apiJson<Sentence>(`${jobPath(id)}/sentences/${index}`, { method: "PATCH", json: { text } });

export type ExportFormat = "csv" | "tsv" | "txt" | "json";

/** Fetches an export and saves it under the book's name. */
export async function downloadExport(job: Job, format: ExportFormat) {
  const res = await apiFetch(`${jobPath(job.id)}/result?format=${format}`);
  const blob = await res.blob();
  const base = job.original_filename.replace(/\.pdf$/i, "") || "sentences";
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `${base}.${format}`;
  document.body.append(a);
  a.click();
  a.remove();
  // Revoked later: Chromium reads the blob after click() returns.
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
