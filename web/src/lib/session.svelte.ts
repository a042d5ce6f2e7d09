import { createApi } from "../../../client";
import type { Me, User } from "./types";

/** The typed client without the 401 hook of lib/api.ts (which calls back into this module). */
const plain = createApi();

type Status = "loading" | "signed-in" | "signed-out";

/**
 * The signed-in reader. The credential is an HttpOnly session cookie that no script can
 * read: this only knows who the server says is signed in (GET /api/v1/auth/session). Tabs tell each
 * other when one signs out.
 */
class Session {
  user = $state<User | null>(null);
  auth = $state<Me["auth"] | null>(null);
  /** An operator (ADMIN_EMAILS): the header shows the console. The API checks on every call. */
  operator = $state(false);
  status = $state<Status>("loading");
  /** Said on the sign-in page once signed out by something the reader did (their account deleted). */
  notice = $state<string | null>(null);
  #channel: BroadcastChannel | null = null;

  constructor() {
    if (typeof window === "undefined") return;
    this.#channel = new BroadcastChannel("fnt-session");
    this.#channel.onmessage = () => void this.refresh();
    void this.refresh();
  }

  async refresh() {
    let me: Me | { user: null };
    try {
      // Not /api/v1/me: a signed-out reader is no error, and a 401 would be logged as one.
      const { data } = await plain.GET("/api/v1/auth/session");
      me = (data as Me | { user: null } | undefined) ?? { user: null };
    } catch {
      // Offline: keep what we knew; a first load shows the sign-in page.
      if (this.status === "loading") this.status = "signed-out";
      return;
    }
    if (me.user) {
      this.user = me.user;
      this.auth = (me as Me).auth;
      this.operator = (me as Me).operator === true;
      this.status = "signed-in";
    } else {
      this.#forget();
    }
  }

  /** Ends this session (or all of the user's) on the server, then here and in other tabs. */
  async signOut(everywhere = false) {
    await plain.POST(everywhere ? "/api/v1/auth/signout-everywhere" : "/api/v1/auth/signout").catch(() => null);
    this.#forget();
    this.#channel?.postMessage("changed");
  }

  /** The account is being deleted (DELETE /api/v1/me signed it out everywhere): say so, here and in other tabs. */
  accountDeleted(message: string) {
    this.notice = message;
    this.#forget();
    this.#channel?.postMessage("changed");
  }

  /** The API said 401: the session ended (signed out elsewhere, expired). */
  ended() {
    if (this.status === "signed-in") this.#forget();
  }

  #forget() {
    this.user = null;
    this.auth = null;
    this.operator = false;
    this.status = "signed-out";
  }
}

export const session = new Session();
