/**
 * The colour theme: the system's (prefers-color-scheme) unless the reader chose light or dark
 * with the header's toggle. The choice is kept per browser in localStorage (a preference, no
 * credential) and shows as <html data-theme="light|dark">, which app.css reads; app.html's
 * inline script sets it before first paint from the same key, so a chosen theme never flashes.
 */
export type ThemeChoice = "system" | "light" | "dark";

/** The localStorage key; app.html's script reads it too. */
export const THEME_KEY = "fnt-theme";
/** The toggle's order: each press moves to the next. */
export const THEME_CHOICES: ThemeChoice[] = ["system", "light", "dark"];

const isChoice = (v: unknown): v is ThemeChoice => THEME_CHOICES.includes(v as ThemeChoice);

class Theme {
  choice = $state<ThemeChoice>("system");
  #systemDark = $state(false);
  /** The theme in effect, the system's or the reader's. */
  dark = $derived(this.choice === "dark" || (this.choice === "system" && this.#systemDark));

  constructor() {
    if (typeof window === "undefined") return;
    const stored = document.documentElement.dataset.theme;
    this.choice = isChoice(stored) ? stored : "system";
    const media = matchMedia("(prefers-color-scheme: dark)");
    this.#systemDark = media.matches;
    media.addEventListener("change", (e) => (this.#systemDark = e.matches));
    // Another tab's choice applies here too.
    addEventListener("storage", (e) => {
      if (e.key === THEME_KEY) this.#apply(isChoice(e.newValue) ? e.newValue : "system");
    });
  }

  set(choice: ThemeChoice) {
    try {
      if (choice === "system") localStorage.removeItem(THEME_KEY);
      else localStorage.setItem(THEME_KEY, choice);
    } catch {
      // Storage refused (a private mode): the choice holds for this page only.
    }
    this.#apply(choice);
  }

  /** The next choice of the toggle. */
  next(): ThemeChoice {
    return THEME_CHOICES[(THEME_CHOICES.indexOf(this.choice) + 1) % THEME_CHOICES.length]!;
  }

  #apply(choice: ThemeChoice) {
    this.choice = choice;
    const root = document.documentElement;
    if (choice === "system") delete root.dataset.theme;
    else root.dataset.theme = choice;
    document.querySelector('meta[name="color-scheme"]')?.setAttribute("content", choice === "system" ? "light dark" : choice);
  }
}

export const theme = new Theme();
