import { session } from "./session.svelte";
import type { ProgressEvent } from "./types";

/** The server closes a socket with this code when its session ended or its key was revoked. */
const CREDENTIAL_ENDED = 4001;

const FINAL_EVENTS = new Set(["completed", "partial", "failed", "cancelled"]);
// Idle connections get closed by proxies; the tracker answers "ping" with "pong".
const KEEPALIVE_MS = 25_000;
const MAX_BACKOFF_MS = 10_000;

export type Connection = "connecting" | "live" | "reconnecting" | "closed";

/**
 * Follows a job's progress events over its WebSocket. When the socket drops it reconnects
 * by itself, asking for `after=<last seq seen>`, so no event is lost or seen twice.
 */
export class JobEvents {
  connection = $state<Connection>("connecting");
  lastSeq = 0;
  #ws: WebSocket | null = null;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #stopped = false;

  constructor(
    private readonly jobId: string,
    private readonly onEvent: (e: ProgressEvent) => void,
    /** Called when the socket drops, before reconnecting (e.g. to re-check the job). */
    private readonly onDrop: () => void = () => {},
  ) {
    this.#connect();
  }

  #connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    // The session cookie authenticates the upgrade; the server checks its Origin.
    const q = new URLSearchParams({ after: String(this.lastSeq) });
    const ws = new WebSocket(`${proto}//${location.host}/api/v1/jobs/${encodeURIComponent(this.jobId)}/events?${q}`);
    this.#ws = ws;
    ws.onopen = () => {
      this.#attempt = 0;
      this.connection = "live";
      this.#pingTimer = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send("ping"), KEEPALIVE_MS);
    };
    ws.onmessage = (msg) => {
      if (typeof msg.data !== "string" || msg.data === "pong") return;
      let e: ProgressEvent | { type: "credential_ended" };
      try {
        e = JSON.parse(msg.data);
      } catch {
        return;
      }
      if (e.type === "credential_ended") return this.#credentialEnded();
      if (typeof e.seq !== "number" || e.seq <= this.lastSeq) return;
      this.lastSeq = e.seq;
      this.onEvent(e);
      if (FINAL_EVENTS.has(e.type)) this.stop();
    };
    ws.onclose = (e) => {
      clearInterval(this.#pingTimer);
      if (this.#stopped || this.#ws !== ws) return;
      if (e.code === CREDENTIAL_ENDED) return this.#credentialEnded();
      this.connection = "reconnecting";
      this.onDrop();
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.#attempt++);
      this.#retryTimer = setTimeout(() => this.#connect(), delay);
    };
  }

  /** Signed out (here or elsewhere) or expired: no reconnecting, show who is signed in. */
  #credentialEnded() {
    this.stop();
    void session.refresh();
  }

  stop() {
    this.#stopped = true;
    this.connection = "closed";
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
