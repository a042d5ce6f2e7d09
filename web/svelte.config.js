import adapter from "@sveltejs/adapter-cloudflare";
import { fileURLToPath } from "node:url";

// Absolute, so the build finds web/wrangler.toml (not the API's) whatever the cwd.
const wranglerConfig = fileURLToPath(new URL("./wrangler.toml", import.meta.url));

/** @type {import('@sveltejs/kit').Config} */
const config = {
  compilerOptions: { runes: true },
  kit: {
    adapter: adapter({ config: wranglerConfig, platformProxy: { configPath: wranglerConfig } }),
    // The app has no form actions and the API authenticates with a bearer token that
    // browsers never attach on their own, so origin-based CSRF checks protect nothing
    // here; left on, they would refuse multipart uploads from scripts (curl) on this origin.
    csrf: { trustedOrigins: ["*"] },
  },
};

export default config;
