export const DEFAULT_WORDLIST: readonly string[] = [];
