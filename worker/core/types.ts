import type { JobRow } from "../../schema/db";
import type { PublicUser } from "../auth/users";

/** Who is asking, resolved once by the auth middleware before any route runs. */
export interface Caller {
  user: PublicUser;
  auth: "session" | "api_key";
  /** The session's or key's id. */
  credentialId: string;
  /** Where the credential came from: a browser's cookie, or a header/query a program set. */
  via: "cookie" | "bearer" | "query";
  /** When the credential stops working (null: never, for a key without expiry). */
  expiresAt: string | null;
}

export type AppEnv = {
  Bindings: Env;
  Variables: {
    userId: string;
    email: string;
    requestId: string;
    caller: Caller;
    /** What a job-creating request asked for (its Idempotency-Key is compared by it). */
    fingerprint?: string;
    /** The caller's job of the route's `:id`, once a middleware has found it. */
    job?: JobRow;
  };
};
