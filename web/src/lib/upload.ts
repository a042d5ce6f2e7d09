import { checkAuth, networkError, toApiError } from "./api";
import type { Job, JobSettings } from "./types";

/** The form's settings; `gemini_model` only where the server runs Gemini (else the server's default). */
export type UploadSettings = Omit<JobSettings, "gemini_model"> & { gemini_model?: string };

export const DEFAULT_UPLOAD_SETTINGS: UploadSettings = {
  sentence_length_limit: 0,
  min_sentence_length: 0,
  ignore_dialogue: false,
  preserve_formatting: false,
  fix_hyphenation: true,
};

/** A PDF by its declared type or name; the server decides by content either way. */
export const isPdf = (f: File) => f.type === "application/pdf" || /\.pdf$/i.test(f.name);

/**
 * Uploads with XMLHttpRequest because fetch cannot report upload progress. A PDF goes as
 * `pdf_file`; anything else as `page_images`, one page each in the order chosen (the
 * server refuses a PDF and images together, and files that are neither, in words).
 */
export function uploadFiles(
  files: File[],
  settings: UploadSettings,
  onProgress: (loaded: number, total: number) => void,
  signal?: AbortSignal,
): Promise<Job> {
  const form = new FormData();
  for (const [k, v] of Object.entries(settings)) if (v !== undefined) form.set(k, String(v));
  for (const file of files) form.append(isPdf(file) ? "pdf_file" : "page_images", file, file.name);

  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/jobs");
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    };
    xhr.onload = () => {
      if (xhr.status === 202 || xhr.status === 200) return resolve(xhr.response as Job);
      const err = toApiError(xhr.status, xhr.response, (n) => xhr.getResponseHeader(n));
      checkAuth(err);
      reject(err);
    };
    xhr.onerror = () => reject(networkError());
    xhr.onabort = () => reject(new DOMException("Upload cancelled", "AbortError"));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}
