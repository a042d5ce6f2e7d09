import { Hono } from "hono";
import { engineInfo } from "../jobs/engine";
import type { AppEnv } from "./types";

/** "ok" if `f` answers, "error" if it throws: how D1 and R2 are probed. */
export async function probe(f: () => Promise<unknown>): Promise<"ok" | "error"> {
  try {
    await f();
    return "ok";
  } catch {
    return "error";
  }
}

export const healthRoutes = new Hono<AppEnv>().get("/", async (c) => {
  const [d1, r2] = await Promise.all([
    probe(() => c.env.DB.prepare("SELECT 1").first()),
    probe(() => c.env.FILES.head("health-probe")),
  ]);
  const ok = d1 === "ok" && r2 === "ok";
  // engine and models: what a job made now would use (the app shows them before an upload).
  return c.json({ status: ok ? "ok" : "degraded", version: c.env.APP_VERSION, d1, r2, ...engineInfo(c.env) }, ok ? 200 : 503);
});
