/**
 * Where a browser may be sent back after signing in or connecting Google: a path on the app's
 * own origin, nothing else (no open redirect). Browsers drop tabs and line breaks from a URL and
 * read a backslash as a slash, so "/\t/evil.example", "/\\evil.example" would leave the site:
 * any control character or backslash, raw or percent-encoded, refuses the value, as does one
 * that resolves to another origin. A refused value sends the browser to "/".
 */
const BASE = "https://app.invalid";
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const UNSAFE = /[\u0000-\u001f\u007f\\]|%(?:[01][0-9a-f]|7f|5c)/iu;

export function safeReturnTo(value: string | undefined): string {
  if (!value || value.length > 500 || !value.startsWith("/") || value.startsWith("//") || UNSAFE.test(value)) return "/";
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return "/";
  }
  // "/%2F%2Fevil.example", "/%2f\\evil": a double slash once decoded is refused too.
  if (decoded.startsWith("//") || UNSAFE.test(decoded)) return "/";
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return "/";
  }
  return url.origin === BASE ? value : "/";
}
