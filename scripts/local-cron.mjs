// The cron under `npm start`. wrangler dev never fires cron triggers ("Scheduled Workers are not
// automatically triggered during local development"), so locally nothing would expire, no
// lapsed reservation or parts upload would end, nothing stuck would be swept. This runs the API
// Worker's cron on the schedule of wrangler.toml's [triggers] (or $LOCAL_CRON, a cron expression
// with optional seconds, e.g. "*/5 * * * * *"; "off" to disable), by calling the local-only
// route POST /api/__local/scheduled with the random token npm start gave the Worker.
import { readFileSync } from "node:fs";
import { Cron } from "croner";

/** The crons of the top-level [triggers] table of a wrangler.toml. */
export function configuredCrons(tomlPath) {
  const toml = readFileSync(tomlPath, "utf8");
  const table = /^\[triggers\]\s*$([\s\S]*?)(?=^\[)/m.exec(toml);
  const list = table && /^crons\s*=\s*\[([^\]]*)\]/m.exec(table[1]);
  if (!list) return [];
  return [...list[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]);
}

/**
 * Starts the schedule; returns { schedules, stop }. `run` calls the route; a failure is logged
 * (the next tick tries again), never thrown: the local platform keeps serving.
 */
export function startLocalCron({ url, token, crons, log = console }) {
  const run = async (cron) => {
    try {
      const r = await fetch(`${url}/api/__local/scheduled`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "x-cron": cron },
      });
      if (!r.ok) log.error(`cron (${cron}): the API answered ${r.status}`);
    } catch (err) {
      log.error(`cron (${cron}): ${err.cause?.code ?? err.message}`);
    }
  };
  const jobs = crons.map((cron) => new Cron(cron, { timezone: "UTC", protect: true }, () => run(cron)));
  return {
    schedules: crons,
    stop: () => {
      for (const j of jobs) j.stop();
    },
  };
}
