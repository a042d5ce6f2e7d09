import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../core/types";

export const SESSION_COOKIE = "fnt_session";
/** Binds a sign-in in progress to the browser that started it (login CSRF). */
export const SIGNIN_COOKIE = "fnt_signin";

/**
 * Over https (always in production) cookies are `__Host-` prefixed and Secure; plain http
 * exists only locally (127.0.0.1), where browsers would drop a Secure cookie's prefix rules.
 */
function isSecure(c: Context<AppEnv>): boolean {
  return c.env.ENVIRONMENT === "production" || new URL(c.req.url).protocol === "https:";
}

/** The session cookie's name as this request's browser holds it (the OpenAPI document says it). */
export const sessionCookieName = (c: Context<AppEnv>) => (isSecure(c) ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE);

export function readCookie(c: Context<AppEnv>, name: string): string | undefined {
  return isSecure(c) ? getCookie(c, name, "host") : getCookie(c, name);
}

export function writeCookie(c: Context<AppEnv>, name: string, value: string, maxAgeSeconds: number) {
  setCookie(c, name, value, {
    httpOnly: true,
    sameSite: "Lax",
    path: "/",
    maxAge: maxAgeSeconds,
    ...(isSecure(c) ? { secure: true, prefix: "host" as const } : {}),
  });
}

export function clearCookie(c: Context<AppEnv>, name: string) {
  deleteCookie(c, name, {
    httpOnly: true,
    sameSite: "Lax",
    path: "/",
    ...(isSecure(c) ? { secure: true, prefix: "host" as const } : {}),
  });
}
