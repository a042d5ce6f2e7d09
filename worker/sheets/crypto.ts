import { ApiError } from "../core/errors";

/**
 * Tokens at rest: AES-256-GCM (WebCrypto) under a key derived with HKDF-SHA-256 from the
 * secret TOKEN_ENCRYPTION_KEY. A fresh 96-bit IV per value; the user's id is the additional
 * data, so a ciphertext copied to another user's row does not decrypt. Stored as
 * `v1.<iv>.<ciphertext>` in base64url.
 */
const keys = new Map<string, Promise<CryptoKey>>();

function keyOf(secret: string): Promise<CryptoKey> {
  let k = keys.get(secret);
  if (!k) {
    k = (async () => {
      const base = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), "HKDF", false, ["deriveKey"]);
      return crypto.subtle.deriveKey(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: new TextEncoder().encode("french-novel-tool"),
          info: new TextEncoder().encode("google-tokens-v1"),
        },
        base,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
      );
    })();
    keys.set(secret, k);
  }
  return k;
}

export function encryptionSecret(env: Env): string {
  const secret = env.TOKEN_ENCRYPTION_KEY;
  if (!secret) {
    throw new ApiError(
      503,
      "sheets_unavailable",
      "Google Sheets export is not configured on this server (TOKEN_ENCRYPTION_KEY is missing).",
    );
  }
  return secret;
}

const b64 = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
const unb64 = (s: string) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

export async function encryptToken(env: Env, userId: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(userId) },
    await keyOf(encryptionSecret(env)),
    new TextEncoder().encode(plaintext),
  );
  return `v1.${b64(iv)}.${b64(new Uint8Array(ct))}`;
}

/** The plaintext, or null when it does not decrypt (another key, another user, tampered). */
export async function decryptToken(env: Env, userId: string, stored: string): Promise<string | null> {
  const [v, iv, ct] = stored.split(".");
  if (v !== "v1" || !iv || !ct) return null;
  try {
    const pt = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: unb64(iv), additionalData: new TextEncoder().encode(userId) },
      await keyOf(encryptionSecret(env)),
      unb64(ct),
    );
    return new TextDecoder().decode(pt);
  } catch {
    return null;
  }
}
