import { api, ApiError, checkAuth, networkError, toApiError } from "./api";
import { uploadBook, type Transport } from "../../../client/upload";
import { getLimits } from "./credits";
import type { Job, JobSettings } from "./types";
import { sendsWhole } from "../../../client/limits";

/** The form's settings; `gemini_model` only where the server runs Gemini (else the server's default). */
export type UploadSettings = Omit<JobSettings, "gemini_model"> & { gemini_model?: string };

export const DEFAULT_UPLOAD_SETTINGS: UploadSettings = {
  sentence_length_limit: 0,
  min_sentence_length: 0,
  ignore_dialogue: false,
  preserve_formatting: false,
  fix_hyphenation: true,
  pages: null,
};

/** A PDF by its declared type or name; the server decides by content either way. */
export const isPdf = (f: File) => f.type === "application/pdf" || /\.pdf$/i.test(f.name);

/**
 * Requests that carry files go with XMLHttpRequest because fetch cannot report upload
 * progress; the session cookie goes along by itself (same origin).
 */
const xhrTransport: Transport = (r) =>
  new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(r.method, r.path);
    for (const [k, v] of Object.entries(r.headers)) xhr.setRequestHeader(k, v);
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => r.onProgress?.(e.loaded);
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.response, header: (n) => xhr.getResponseHeader(n) });
    xhr.onerror = () => reject(networkError());
    xhr.onabort = () => reject(new DOMException("Upload cancelled", "AbortError"));
    r.signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(r.body);
  });

export interface UploadCallbacks {
  onProgress: (loaded: number, total: number) => void;
  /** A PDF over the server's safe size is cut into parts here first: told when that starts (`parts` null) and how many it made. */
  onSplit?: (parts: number | null) => void;
  signal?: AbortSignal;
}

/**
 * Sends the chosen files as one job. A PDF goes as `pdf_file` — cut in the browser into
 * parts of at most the server's `max_part_bytes` when it is bigger, sent one request each
 * (client/upload.ts); page images go as `page_images`, one page each in the order chosen
 * (the server refuses a PDF and images together, and files that are neither, in words).
 */
export async function uploadFiles(files: File[], settings: UploadSettings, cb: UploadCallbacks): Promise<Job> {
  try {
    if (files.length === 1 && isPdf(files[0]!)) return await uploadPdf(files[0]!, settings, cb);
    const form = new FormData();
    for (const [k, v] of Object.entries(settings)) if (v !== undefined && v !== null) form.set(k, String(v));
    for (const file of files) form.append(isPdf(file) ? "pdf_file" : "page_images", file, file.name);
    const total = files.reduce((n, f) => n + f.size, 0);
    const answer = await xhrTransport({
      method: "POST",
      path: "/api/v1/jobs",
      headers: {},
      body: form,
      onProgress: (loaded) => cb.onProgress(Math.min(loaded, total), total),
      signal: cb.signal,
    });
    if (answer.status === 202 || answer.status === 200) return answer.body as Job;
    throw toApiError(answer.status, answer.body, answer.header);
  } catch (err) {
    if (err instanceof ApiError) checkAuth(err);
    throw err;
  }
}

async function uploadPdf(file: File, settings: UploadSettings, cb: UploadCallbacks): Promise<Job> {
  let parts: Blob[] = [file];
  const limits = await getLimits().catch(() => null);
  const split = limits && { maxBytes: limits.uploads.max_part_bytes, text: limits.uploads.text };
  // A PDF the server may read whatever its pages goes as it is; a bigger one is read here first
  // (pdf-lib is loaded only then): its pages counted, and cut into parts if it must be.
  if (split && !sendsWhole(file.size, split)) {
    cb.onSplit?.(null);
    const { partsToSend, SplitError } = await import("../../../client/split");
    try {
      const cut = await partsToSend(new Uint8Array(await file.arrayBuffer()), split);
      if (cut.length > 1) parts = cut.map((bytes) => new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/pdf" }));
    } catch (err) {
      if (err instanceof SplitError) throw new ApiError(400, err.code, err.message, "pdf_file");
      throw err;
    }
    cb.onSplit?.(parts.length);
  }
  return uploadBook(api, { filename: file.name, parts, settings, onProgress: cb.onProgress, signal: cb.signal }, xhrTransport);
}
