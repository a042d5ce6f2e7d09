import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { jwtVerify, SignJWT } from "jose";
import { DevSignInSchema } from "../../schema/api";
import { ensureUser } from "../jobs/service";
import { ApiError } from "./errors";
import type { AppEnv } from "./types";
import { validate } from "./validate";

const ISSUER = "french-novel-tool";
const TOKEN_TTL = "7d";
// Only ever used when ENVIRONMENT is "development" and no JWT_SECRET is set.
const DEV_SECRET = "local-development-secret-not-for-production";

function secret(env: Env): Uint8Array {
  const s = env.JWT_SECRET || (env.ENVIRONMENT === "development" ? DEV_SECRET : "");
  if (!s) throw new ApiError(500, "server_misconfigured", "The server has no JWT_SECRET configured.");
  return new TextEncoder().encode(s);
}

export async function issueToken(env: Env, userId: string, email: string): Promise<string> {
  return new SignJWT({ email })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(userId)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(TOKEN_TTL)
    .sign(secret(env));
}

async function verify(env: Env, token: string): Promise<{ userId: string; email: string }> {
  try {
    const { payload } = await jwtVerify(token, secret(env), { issuer: ISSUER, algorithms: ["HS256"] });
    if (!payload.sub) throw new Error("no subject");
    return { userId: payload.sub, email: String(payload.email ?? "") };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(401, "unauthorized", "The sign-in token is invalid or expired. Sign in again.");
  }
}

/** Bearer token from the Authorization header; WebSocket clients (browsers cannot set
 *  headers there) may pass it as `access_token` in the query string instead. */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("Authorization");
  const token = header?.match(/^Bearer\s+(.+)$/i)?.[1] ?? c.req.query("access_token");
  if (!token) throw new ApiError(401, "unauthorized", "Sign in first: send Authorization: Bearer <token>.");
  const who = await verify(c.env, token);
  c.set("userId", who.userId);
  c.set("email", who.email);
  await next();
});

export const authRoutes = new Hono<AppEnv>().post("/dev", async (c) => {
  if (c.env.DEV_AUTH !== "on") throw new ApiError(404, "not_found", "Development sign-in is off on this server.");
  const body = await c.req.json().catch(() => {
    throw new ApiError(400, "invalid_json", "Send a JSON body like {\"email\": \"you@example.com\"}.");
  });
  const { email } = validate(DevSignInSchema, body);
  const userId = await ensureUser(c.env, email);
  return c.json({ token: await issueToken(c.env, userId, email.toLowerCase()), user: { id: userId, email } }, 200);
});
