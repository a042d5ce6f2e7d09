const STORAGE_KEY = "fnt.session";

interface Stored {
  token: string;
  email: string;
}

function read(): Stored | null {
  try {
    const v = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null");
    return v && typeof v.token === "string" ? v : null;
  } catch {
    return null;
  }
}

/** The signed-in reader: a bearer token kept in localStorage, shared by every tab. */
class Session {
  token = $state<string | null>(null);
  email = $state<string>("");

  constructor() {
    if (typeof localStorage === "undefined") return;
    this.#load();
    // Signing out in one tab signs out the others.
    window.addEventListener("storage", (e) => {
      if (e.key === STORAGE_KEY) this.#load();
    });
  }

  #load() {
    const s = read();
    this.token = s?.token ?? null;
    this.email = s?.email ?? "";
  }

  signIn(token: string, email: string) {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ token, email } satisfies Stored));
    this.token = token;
    this.email = email;
  }

  signOut() {
    localStorage.removeItem(STORAGE_KEY);
    this.token = null;
    this.email = "";
  }
}

export const session = new Session();
