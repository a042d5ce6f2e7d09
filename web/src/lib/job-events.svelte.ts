import { JobEventStream, type Connection } from "../../../client/events";
import { session } from "./session.svelte";
import type { ProgressEvent } from "./types";

export type { Connection };

/**
 * A job's progress events for a page: the shared follower (client/events.ts: reconnects
 * with `after=`, keepalive, stops at the end) with its connection state as a rune.
 */
export class JobEvents {
  connection = $state<Connection>("connecting");
  #stream: JobEventStream;

  constructor(
    jobId: string,
    onEvent: (e: ProgressEvent) => void,
    /** Called when the socket drops, before reconnecting (e.g. to re-check the job). */
    onDrop: () => void = () => {},
  ) {
    this.#stream = new JobEventStream(jobId, {
      // The session cookie authenticates the upgrade; the server checks its Origin.
      open: (path) => new WebSocket(`${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${path}`),
      onEvent,
      onDrop,
      onConnection: (c) => (this.connection = c),
      // Signed out (here or elsewhere) or expired: show who is signed in.
      onCredentialEnded: () => void session.refresh(),
    });
  }

  get lastSeq(): number {
    return this.#stream.lastSeq;
  }

  stop() {
    this.#stream.stop();
  }
}
