/**
 * A job's live progress over WebSocket (hibernation API): each socket is tagged with its id (its
 * D1 record's key) and carries when its credential stops working; an event goes to every socket
 * whose credential still works, an expired one is told why and closed.
 */
import { forgetSocket } from "../../auth/sockets";

/** Set by the events route: the socket's id (its tag here, its D1 record's key). */
export const SOCKET_ID_HEADER = "X-Fnt-Socket-Id";
/** Set by the events route: when the credential that opened the socket stops working. */
export const SOCKET_EXPIRES_HEADER = "X-Fnt-Socket-Expires";
/** Close code for a socket whose session ended or whose key was revoked or expired. */
export const CLOSE_CREDENTIAL_ENDED = 4001;

interface SocketAttachment {
  expires_ms: number | null;
}

/** Accepts the request's WebSocket, sends it the events it missed (already JSON) and answers 101. */
export function openSocket(ctx: DurableObjectState, request: Request, missed: string[]): Response {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  const socketId = request.headers.get(SOCKET_ID_HEADER);
  ctx.acceptWebSocket(server, socketId ? [socketId] : []);
  const expires = Date.parse(request.headers.get(SOCKET_EXPIRES_HEADER) ?? "");
  server.serializeAttachment({ expires_ms: Number.isFinite(expires) ? expires : null } satisfies SocketAttachment);
  for (const msg of missed) server.send(msg);
  return new Response(null, { status: 101, webSocket: client });
}

/** Sends a message to every socket; one whose credential expired is closed instead. */
export function broadcast(ctx: DurableObjectState, env: Env, msg: string, now: number): void {
  for (const ws of ctx.getWebSockets()) {
    const expires = (ws.deserializeAttachment() as SocketAttachment | null)?.expires_ms;
    if (expires && expires <= now) {
      closeSocket(ctx, env, ws, "credential expired");
      continue;
    }
    try {
      ws.send(msg);
    } catch {
      // A socket that went away is cleaned up by the runtime.
    }
  }
}

/** Closes the sockets with these ids: their session ended or their key was revoked. */
export function closeSocketsById(ctx: DurableObjectState, env: Env, ids: string[]): number {
  let closed = 0;
  for (const id of ids) {
    for (const ws of ctx.getWebSockets(id)) {
      closeSocket(ctx, env, ws, "the session ended or the API key was revoked");
      closed++;
    }
  }
  return closed;
}

/** Closes every socket (the tracker is emptied) and forgets their records. */
export async function closeAll(ctx: DurableObjectState, env: Env, reason: string): Promise<void> {
  for (const ws of ctx.getWebSockets()) {
    try {
      ws.close(1000, reason);
    } catch {
      // already closed
    }
    await forget(ctx, env, ws);
  }
}

/**
 * Tells the client why, then closes. The notice matters: a close started here, outside a
 * WebSocket event, does not always reach the client as a close frame (seen with workerd
 * locally), while a message does; a client that reads it closes from its side.
 */
function closeSocket(ctx: DurableObjectState, env: Env, ws: WebSocket, reason: string) {
  try {
    ws.send(JSON.stringify({ type: "credential_ended", reason }));
    ws.close(CLOSE_CREDENTIAL_ENDED, reason);
  } catch {
    // already closed
  }
  ctx.waitUntil(forget(ctx, env, ws));
}

/** A socket closed from the client's side: closed here too. */
export async function closedByClient(ctx: DurableObjectState, env: Env, ws: WebSocket, code: number): Promise<void> {
  try {
    ws.close(code === 1005 ? 1000 : code, "closing");
  } catch {
    // already closed
  }
  await forget(ctx, env, ws);
}

/** Deletes the socket's D1 record. */
export async function forget(ctx: DurableObjectState, env: Env, ws: WebSocket): Promise<void> {
  for (const id of ctx.getTags(ws)) {
    await forgetSocket(env, id).catch(() => undefined);
  }
}
