const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `length` characters of base62 from the CSPRNG (rejection sampling: no modulo bias). */
export function randomToken(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < 248) out += ALPHABET[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Hex SHA-256: how every credential is stored. Tokens carry ≥ 238 bits of entropy, so a
 *  plain digest cannot be reversed by guessing (no salt or slow hash needed). */
export async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Session tokens and API keys tell themselves apart (and from anything else) by prefix. */
export const SESSION_TOKEN_PREFIX = "fnts_";
export const API_KEY_PREFIX = "fnt_";
