#!/usr/bin/env node
// `npm run deploy`: the whole deploy to Cloudflare (scripts/deploy.ts has the steps).
//   npm run deploy                    create what is missing, migrate, deploy both Workers
//   npm run deploy -- --dry-run       print the plan, run nothing
//   npm run deploy -- --check-config  refuse placeholders and missing secrets, run nothing
// Secrets come from the environment: GOOGLE_CLIENT_SECRET (required), GEMINI_API_KEY (optional);
// wrangler's credentials too: CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID (or `npx wrangler login`).
import path from "node:path";
import { fileURLToPath } from "node:url";

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18) || !process.features?.typescript) {
  console.error(
    `Node ${process.versions.node} is too old for wrangler and this script; run it through npm (npm run deploy), which uses the project's Node.`,
  );
  process.exit(1);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { main } = await import("./deploy.ts");
process.exitCode = await main(process.argv.slice(2), root);
