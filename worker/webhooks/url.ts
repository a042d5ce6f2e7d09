import { ApiError } from "../core/errors";

/** Is this dotted IPv4 address private, loopback, link-local or otherwise not on the internet? */
function privateV4(host: string): boolean {
  const m = host.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

function privateV6(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (!h.includes(":")) return false;
  if (h === "::" || h === "::1") return true;
  if (/^f[cd][0-9a-f]{2}:/.test(h) || /^fe[89ab][0-9a-f]:/.test(h)) return true; // unique-local, link-local
  const mapped = h.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
  return mapped ? privateV4(mapped[1]!) : false;
}

const LOOPBACK_NAMES = /^(localhost|127\.0\.0\.1|\[::1\])$/i;

/**
 * A webhook URL the service may call: https only in production, and never a private,
 * loopback or link-local address or an internal name there (a request forgery toward the
 * service's own network). Plain http to the local machine is for development and tests.
 * Names are checked as written: a public name that resolves to a private address is the
 * platform's to stop (Workers cannot reach private networks).
 */
export function checkWebhookUrl(env: Env, raw: string, field: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ApiError(400, "invalid_field", `${field}: is not a URL.`, field);
  }
  const bad = (why: string) => new ApiError(400, "invalid_field", `${field}: ${why}`, field);
  if (raw.length > 2000) throw bad("is longer than 2,000 characters.");
  if (url.username || url.password) throw bad("must not carry a user name or password.");
  const production = env.ENVIRONMENT === "production";
  const host = url.hostname.toLowerCase();
  if (!production && url.protocol === "http:" && LOOPBACK_NAMES.test(url.host.replace(/:\d+$/, ""))) return url.href;
  if (url.protocol !== "https:") throw bad(production ? "must use https." : "must use https (or http to 127.0.0.1 in development).");
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".internal") || host.endsWith(".local") || !host.includes(".")) {
    throw bad("must be a public address, not an internal name.");
  }
  if (privateV4(host) || privateV6(url.hostname)) throw bad("must be a public address, not a private, loopback or link-local one.");
  return url.href;
}
