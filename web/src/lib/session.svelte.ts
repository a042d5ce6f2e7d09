import type { Me, User } from "./types";

type Status = "loading" | "signed-in" | "signed-out";

/**
 * The signed-in reader. The credential is an HttpOnly session cookie that no script can
 * read: this only knows who the server says is signed in (GET /api/v1/me). Tabs tell each
 * other when one signs out.
 */
class Session {
  user = $state<User | null>(null);
  auth = $state<Me["auth"] | null>(null);
  status = $state<Status>("loading");
  #channel: BroadcastChannel | null = null;

  constructor() {
    if (typeof window === "undefined") return;
    this.#channel = new BroadcastChannel("fnt-session");
    this.#channel.onmessage = () => void this.refresh();
    void this.refresh();
  }

  async refresh() {
    let res: Response;
    try {
      res = await fetch("/api/v1/me", { headers: { accept: "application/json" } });
    } catch {
      // Offline: keep what we knew; a first load shows the sign-in page.
      if (this.status === "loading") this.status = "signed-out";
      return;
    }
    if (res.ok) {
      const me = (await res.json()) as Me;
      this.user = me.user;
      this.auth = me.auth;
      this.status = "signed-in";
    } else {
      this.#forget();
    }
  }

  /** Ends this session (or all of the user's) on the server, then here and in other tabs. */
  async signOut(everywhere = false) {
    await fetch(everywhere ? "/api/v1/auth/signout-everywhere" : "/api/v1/auth/signout", { method: "POST" }).catch(() => null);
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
    this.status = "signed-out";
  }
}

export const session = new Session();
