/**
 * Follows a job's progress events over its WebSocket (`GET /api/v1/jobs/{id}/events`), for
 * the web app and the CLI alike. When the socket drops it reconnects by itself, asking for
 * `after=<last seq seen>`, so no event is lost or seen twice; it stops at the final event, or
 * when the server says the credential ended (sign-out, revoked key: close code 4001).
 */
import type { ProgressEvent } from "../schema/api";

/** The server closes a socket with this code when its session ended or its key was revoked. */
export const CREDENTIAL_ENDED = 4001;
export const FINAL_EVENTS: ReadonlySet<string> = new Set(["completed", "partial", "failed", "cancelled"]);
// Idle connections get closed by proxies; the tracker answers "ping" with "pong".
const KEEPALIVE_MS = 25_000;
const MAX_BACKOFF_MS = 10_000;

export type Connection = "connecting" | "live" | "reconnecting" | "closed";

export interface FollowOptions {
  /** Opens the socket for a URL path + query (the browser sends its cookie; Node adds a header). */
  open: (pathAndQuery: string) => WebSocket;
  onEvent: (e: ProgressEvent) => void;
  /** Each change of the connection's state. */
  onConnection?: (c: Connection) => void;
  /** The socket dropped; it reconnects after this (e.g. to re-check the job meanwhile). */
  onDrop?: () => void;
  /** The credential ended: no reconnecting. */
  onCredentialEnded?: () => void;
  /** Events with a seq at or below this were seen already. */
  after?: number;
}

export class JobEventStream {
  lastSeq: number;
  connection: Connection = "connecting";
  #ws: WebSocket | null = null;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #stopped = false;

  constructor(
    readonly jobId: string,
    private readonly o: FollowOptions,
  ) {
    this.lastSeq = o.after ?? 0;
    this.#connect();
  }

  #set(c: Connection) {
    this.connection = c;
    this.o.onConnection?.(c);
  }

  #connect() {
    const q = new URLSearchParams({ after: String(this.lastSeq) });
    const ws = this.o.open(`/api/v1/jobs/${encodeURIComponent(this.jobId)}/events?${q}`);
    this.#ws = ws;
    ws.onopen = () => {
      this.#attempt = 0;
      this.#set("live");
      this.#pingTimer = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send("ping"), KEEPALIVE_MS);
    };
    ws.onmessage = (msg) => {
      if (typeof msg.data !== "string" || msg.data === "pong") return;
      let e: ProgressEvent | { type: "credential_ended"; seq?: undefined };
      try {
        e = JSON.parse(msg.data);
      } catch {
        return;
      }
      if (e.type === "credential_ended") return this.#credentialEnded();
      if (typeof e.seq !== "number" || e.seq <= this.lastSeq) return;
      this.lastSeq = e.seq;
      this.o.onEvent(e);
      if (FINAL_EVENTS.has(e.type)) this.stop();
    };
    ws.onclose = (e) => {
      clearInterval(this.#pingTimer);
      if (this.#stopped || this.#ws !== ws) return;
      if (e.code === CREDENTIAL_ENDED) return this.#credentialEnded();
      this.#set("reconnecting");
      this.o.onDrop?.();
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.#attempt++);
      this.#retryTimer = setTimeout(() => this.#connect(), delay);
    };
  }

  #credentialEnded() {
    this.stop();
    this.o.onCredentialEnded?.();
  }

  stop() {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#set("closed");
    clearTimeout(this.#retryTimer);
    clearInterval(this.#pingTimer);
    const ws = this.#ws;
    this.#ws = null;
    if (!ws) return;
    // Closing a socket that is still connecting makes Chromium log an error: wait for it to open.
    if (ws.readyState === WebSocket.CONNECTING) ws.onopen = () => ws.close(1000, "done");
    else if (ws.readyState === WebSocket.OPEN) ws.close(1000, "done");
  }
}
