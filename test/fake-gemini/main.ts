// The fake Gemini server as its own process:
//   npx tsx test/fake-gemini/main.ts --port 0 [--config '{"rates":{"429":0.25},"retryDelay":"1s"}']
// prints its port on the first line of stdout, then serves until SIGINT/SIGTERM.
// Change it at runtime with POST /__control (JSON, see FakeConfig); read GET /__stats.
import { parseArgs } from "node:util";
import { startFakeGemini, type FakeConfig } from "./server";

const { values } = parseArgs({
  options: { port: { type: "string", default: "0" }, config: { type: "string", default: "{}" } },
});
// The model's speed from the environment (the config's fields win): FAKE_FIRST_TOKEN_MS, FAKE_TOKENS_PER_S.
const speed: Partial<FakeConfig> = {};
if (process.env.FAKE_FIRST_TOKEN_MS) speed.firstTokenMs = Number(process.env.FAKE_FIRST_TOKEN_MS);
if (process.env.FAKE_TOKENS_PER_S) speed.tokensPerSecond = Number(process.env.FAKE_TOKENS_PER_S);
const fake = await startFakeGemini({ ...speed, ...(JSON.parse(values.config) as Partial<FakeConfig>) }, Number(values.port));
process.stdout.write(`${fake.port}\n`);
console.error(`fake Gemini on ${fake.url} (POST /v1beta/models/{model}:generateContent, POST /__control, GET /__stats)`);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => void fake.close().then(() => process.exit(0)));
}
