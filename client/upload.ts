/**
 * Sending a book as a job, for the web app and the CLI: one file in one request
 * (`POST /api/v1/jobs`, multipart with `pdf_file`), or a book cut into parts (client/split.ts)
 * one request each, so that no request is bigger than a part: `POST /api/v1/jobs`
 * `{"parts": N, …settings}` creates the job, `PUT /api/v1/jobs/{id}/parts/{n}` sends part n,
 * and the job starts when the last one has arrived.
 *
 * The requests that carry bytes go through a `Transport`, because a browser reports upload
 * progress only for XMLHttpRequest (the web app passes one); the default uses fetch.
 */
import { ok, toApiError, networkError, type Api, type Schemas } from "./index";

export type Job = Schemas["Job"];

export interface TransportRequest {
  method: "POST" | "PUT";
  path: string;
  headers: Record<string, string>;
  body: FormData | Blob;
  /** Bytes of this request's body sent so far. */
  onProgress?: (loaded: number) => void;
  signal?: AbortSignal;
}

export interface TransportAnswer {
  status: number;
  body: unknown;
  header: (name: string) => string | null;
}

export type Transport = (r: TransportRequest) => Promise<TransportAnswer>;

/** Bytes sent of all the book's bytes. */
export type UploadProgress = (sent: number, total: number) => void;

export interface BookUpload {
  /** The book's name, shown in the job list. */
  filename: string;
  /** The whole PDF, or its parts in page order. */
  parts: Array<Uint8Array | Blob>;
  /** Settings fields as the API takes them (`sentence_length_limit`, …). */
  /** Settings fields; null or undefined: not sent (the server's default, or my saved one). */
  settings: Record<string, string | number | boolean | null | undefined>;
  webhookUrl?: string;
  onProgress?: UploadProgress;
  signal?: AbortSignal;
}

const blobOf = (p: Uint8Array | Blob) => (p instanceof Blob ? p : new Blob([p as Uint8Array<ArrayBuffer>], { type: "application/pdf" }));

/** A fetch transport, for Node and the CLI: progress is told when each request has gone. */
export function fetchTransport(baseUrl: string, headers: Record<string, string> = {}): Transport {
  return async (r) => {
    let res: Response;
    try {
      res = await fetch(`${baseUrl}${r.path}`, { method: r.method, headers: { ...headers, ...r.headers }, body: r.body, signal: r.signal });
    } catch (err) {
      if (r.signal?.aborted) throw err;
      throw networkError();
    }
    const size = r.body instanceof Blob ? r.body.size : 0;
    r.onProgress?.(size);
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    return { status: res.status, body, header: (n) => res.headers.get(n) };
  };
}

/**
 * One request; on a dropped connection it is sent once more — safe, because the creation
 * carries an Idempotency-Key (the server answers a repeat with the first answer, no second
 * job) and sending a part again replaces it.
 */
async function send(transport: Transport, r: TransportRequest): Promise<unknown> {
  let answer: TransportAnswer;
  try {
    answer = await transport(r);
  } catch (err) {
    if (r.signal?.aborted) throw err;
    answer = await transport(r);
  }
  if (answer.status >= 200 && answer.status < 300) return answer.body;
  throw toApiError(answer.status, answer.body, answer.header);
}

function settingsForm(u: BookUpload): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(u.settings)) if (v !== undefined && v !== null) form.set(k, String(v));
  if (u.webhookUrl) form.set("webhook_url", u.webhookUrl);
  return form;
}

/** Sends the book; answers the job (running when one request carried it, or after its last part). */
export async function uploadBook(api: Api, u: BookUpload, transport: Transport): Promise<Job> {
  const blobs = u.parts.map(blobOf);
  const total = blobs.reduce((s, b) => s + b.size, 0);
  const key = crypto.randomUUID();
  if (blobs.length === 1) {
    const form = settingsForm(u);
    form.append("pdf_file", blobs[0]!, u.filename);
    const job = (await send(transport, {
      method: "POST",
      path: "/api/v1/jobs",
      headers: { "Idempotency-Key": key },
      body: form,
      onProgress: (loaded) => u.onProgress?.(Math.min(loaded, total), total),
      signal: u.signal,
    })) as Job;
    u.onProgress?.(total, total);
    return job;
  }

  // The job first (small JSON, typed), then its parts one request each.
  const settings = Object.fromEntries(Object.entries(u.settings).filter(([, v]) => v !== undefined && v !== null));
  const created = await ok(
    api.POST("/api/v1/jobs", {
      body: { parts: blobs.length, filename: u.filename, ...settings, ...(u.webhookUrl ? { webhook_url: u.webhookUrl } : {}) } as never,
      headers: { "Idempotency-Key": key },
      signal: u.signal,
    }),
  );
  let job = created as unknown as Job;
  let before = 0;
  for (const [i, blob] of blobs.entries()) {
    const answer = (await send(transport, {
      method: "PUT",
      path: `/api/v1/jobs/${encodeURIComponent(job.id)}/parts/${i + 1}`,
      headers: { "Content-Type": "application/pdf" },
      body: blob,
      onProgress: (loaded) => u.onProgress?.(before + Math.min(loaded, blob.size), total),
      signal: u.signal,
    })) as { job: Job };
    before += blob.size;
    u.onProgress?.(before, total);
    job = answer.job;
  }
  return job;
}
